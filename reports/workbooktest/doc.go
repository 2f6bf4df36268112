// Package workbooktest tries the workbook (report.xlsx) of real audits in a
// spreadsheet application, LibreOffice: it holds tests only
// (docs/workbook.md "Tested in a spreadsheet application").
package workbooktest
