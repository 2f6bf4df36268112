// Package rcni reads the CMS pre-audit / RCNI pipe-delimited layout, one
// row per member and financial segment, into canonical rows.
//
// Read from each detail record (type 01), by 0-based field: 4 HIOS ID, 8 and
// 10 first and last name, 11 birth date, 12 gender, 13 SSN, 14 subscriber
// indicator, 15 relationship, 16 exchange subscriber ID, 17 exchange member
// ID, 19 issuer member ID, 20 exchange policy ID, 21 issuer policy ID, 25
// and 26 residential state and ZIP, 33 rating area, 36 QHP ID (hyphen
// dropped), 37 and 38 benefit start and end, 39 APTC, 42 CSR amount, 45
// total premium, 48 individual premium, 51 status (Y effectuated, N pending,
// C cancelled), 53 coverage year, 54 paid-through date.
//
// Ignored: fields 1-3 and 5-7 (trading partner, SPOE, tenant, QHP lookup
// key, extract date and time), 9 middle name, 18 issuer subscriber ID, 22-24
// residential street and city, 27-31 mailing address, 32 county, 34 phone,
// 35 tobacco, 40-41, 43-44, 46-47 and 49-50 (amount effective and end
// dates), 52 issuer trace number, 55 onwards (agent/broker); summary (02)
// records; blank lines. Policy-level amounts are taken as given on each
// row, not copied from the subscriber.
//
// A line is rejected, naming its number, when its record type is neither
// 01 nor 02 or when it has fewer than 55 fields. Dates (CCYYMMDD) go on as
// sent, for the normaliser to read; a field that cannot be read (a date
// that is none, an amount not decimal, a status outside Y/N/C, an SSN not 9
// digits) goes on as sent too: the normaliser records it as a field problem
// and the member loads. A rating area as a bare number (4) or
// without "R-" is completed with the residential state (R-ME004).
//
// The product reads RCNI files with DuckDB (audit/load): DetailsSQL is the
// SQL of the conversions, Classify and LineReader what a line is; both come
// from the one table of positions and conversions (columns). Read, the Go
// parser used before, is kept as the oracle of that reader's tests.
package rcni
