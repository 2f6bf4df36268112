// Package x12 reads X12 834 benefit enrollment files (005010X220A1, as the
// FFE and state exchanges send them) into canonical rows, one per member and
// coverage: one per HD loop 2300, or one without coverage data for a member
// without HD.
//
// Envelope. Delimiters come from each ISA (element separator = byte 3,
// ISA16, and the byte after it as segment terminator); ISA IDs padded to
// the wrong width are accepted. CR/LF and blanks between segments are
// ignored. Files may hold several interchanges, groups and transactions. A
// file that starts at GS, ST, BGN or INS is read with guessed delimiters and
// a warning. Counts and control numbers of IEA and GE are warned about; a
// wrong SE01 segment count is warned about (the segments are all there); a
// transaction without SE, with a wrong SE02, not an 834, with INS
// before BGN or with a segment out of place is rejected whole, and reading
// goes on with the next one. The file is streamed segment by segment on
// one goroutine, and its transactions are read on all cores (split.go);
// only the transactions in flight are held, and what they give is passed
// on in file order. CR, LF and LF-CR after (or instead of) the segment
// terminator are fine.
//
// Read: N1*IN N104 when it is a
// 5-digit HIOS ID; INS01-04; REF*0F, REF*17, REF*1L, REF*23 and REF*ZZ of
// loop 2000; NM1*IL names and NM109 when NM108 is 34 (SSN); N4 state and
// ZIP and DMG01-03 of loop 2100A; HD03, DTP*348/349/543, REF*1L, REF*CE
// and REF*X9 of loop 2300; the 2750 categories APTC AMT, CSR AMT, PRE AMT 1,
// PRE AMT TOT, RATING AREA, TOT RES AMT (checked only), SOURCE EXCHANGE ID
// (the state when there is no N4) and ADDL MAINT REASON (status).
//
// Derived: coverage_year from benefit start; effectuation_status from
// INS03/INS04 and ADDL MAINT REASON (INS03 outside its list goes on as
// sent); policy-level fields missing on a
// dependent are copied from the one subscriber of the transaction with the
// same REF*0F and insurance line (HD03).
//
// Ignored: ISA/GS IDs and dates, ST03, BGN01-02 and 04-08, QTY, N1*P5/BO/TV
// and the rest of the 1000 loops; INS05-17; REF*6O, REF*SY and other
// qualifiers; DTP*303/336/356/357 and other dates; PER, N3, N4 outside
// 2100A, DMG04-05 (marital status, race/ethnicity), EC, ICM, AMT (AMT*P3
// premium included), HLH, LUI; loops 2100B-H, 2310, 2320, 2330; other 2750
// categories (SEP REASON, REQUEST SUBMIT TIMESTAMP, MONTHLY ..., ISFFM,
// QSEHRA ...) and the DTP*007 dates of all; composite and repetition
// separators (no element read is composite).
//
// A value X12 does not allow (a code outside its list, a date not CCYYMMDD,
// an amount not decimal, an SSN not 9 digits) goes on as sent: the
// normaliser records the field as a problem, and the member, his dependents
// and the amounts carried to them still load. A member without REF*0F or
// NM1*IL loads too (without REF*0F he belongs with the subscriber before
// him). RATING AREA as a bare number (4, New York) or without "R-" is read
// with the member's (or his subscriber's) state: R-NY004. A REF*1L sent as
// a composite is read as its first component. A 2750 category sent in
// several loops takes the value of the latest DTP*007; different values
// from the same date go on together, as a field problem. Values that parse
// but make no sense together (a birth date after the transaction date, a
// benefit end before its start) load: the rules report them, exactly as for
// the same data in CSV.
//
// Each transaction's records are handed over with its order among the
// file's transactions (ISA, GS and BGN dates and times, then position), so
// that the loader can let a later transaction for a member supersede an
// earlier one.
package x12
