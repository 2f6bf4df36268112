package reports

import (
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/enrollaudit/enrollaudit/canonical"
)

// The Summary's guide for a reader who never saw the tool: what the
// integrity figure and each category mean (in the words of README.md "The
// integrity figure" and docs/categories.md), and a linked list of the
// workbook's sheets.

// xlsxCategoryMeanings says what a finding of each category says
// (docs/categories.md).
var xlsxCategoryMeanings = map[string]string{
	"missing_enrollment":   "The marketplace has a live (effectuated or pending) policy, or a member of a policy, that the insurer's roster lacks.",
	"unknown_enrollment":   "The insurer has a policy or member the marketplace does not.",
	"wrong_plan":           "The plan (QHP ID) differs, including when only the CSR variant (last two digits) differs.",
	"wrong_subsidy":        "The applied APTC or the CSR amount differs, or is impossible on its own (APTC above the premium, negative).",
	"wrong_premium":        "The total or the member premium differs.",
	"wrong_coverage_dates": "Benefit start or end differs.",
	"wrong_status":         "The effectuation status disagrees (for example cancelled at the marketplace, effectuated at the insurer).",
	"wrong_demographics":   "Name, birth date, gender or SSN differs on a matched member.",
	"duplicate_enrollment": "The same member appears twice in one file for overlapping coverage, or on two policies with overlapping live coverage.",
	"invalid_record":       "A row breaks a rule on its own: a malformed plan ID, an end before its start, a negative premium, a value that cannot be read.",
	"wrong_identifiers":    "The insurer has a person, or a whole policy, under another exchange policy or member ID, found by matching the person (SSN or name with birth date).",
}

// howToRead is the "How to read this" block.
func (b *xlsxSummary) howToRead(r *Report) {
	b.section("How to read this")
	b.para("Integrity: of the live marketplace policies in scope (effectuated or pending), the share that reached the insurer intact. " +
		"A policy is intact when the insurer has it and no finding of these categories concerns the policy or any of its members: " +
		"missing enrollment, wrong plan, wrong subsidy, wrong premium, wrong coverage dates, wrong status, wrong identifiers. " +
		"Demographic differences, duplicates, invalid records and enrollments only the insurer has do not break it. " +
		"A policy with a rejected row is counted and is not intact (it could not be checked). " +
		"Dollars at stake: each finding's monthly difference (for a missing or unknown enrollment, the APTC at stake) times the months of the coverage year it covers.")
	b.para("A finding is one difference between the marketplace's record and the insurer's, raised by a rule (the Rules sheet says what each rule checks; " +
		"a finding's Rule cell links to it). On a finding sheet the two sides' values stand side by side, and values that differ are shaded. " +
		"Severities, from least to most severe: " + strings.Join(canonical.Severities, ", ") + ".")
	b.header("Category", "A finding says")
	for _, c := range canonical.Categories {
		b.line(false, CategoryTitles[c], xlsxText(xlsxCategoryMeanings[c]))
	}
}

// xlsxSheetPurposes say what the fixed sheets hold; a category's sheets
// hold its findings.
var xlsxSheetPurposes = map[string]string{
	xlsxSummarySheet:   "This sheet.",
	xlsxIntegritySheet: "The integrity figures per issuer and per state.",
	xlsxByIssuerSheet:  "Each issuer's findings by category.",
	xlsxRulesSheet:     "Every active rule: what it checks, its expression, and how many findings it raised.",
	xlsxChartDataSheet: "The figures the charts above are drawn from.",
	xlsxResolvedSheet:  "Findings open in the previous run and absent now.",
	"Waived":           "Findings left out of the figures because their waiver runs.",
	"Disputed":         "Findings the insurer disputes, with the answer.",
}

// sheetsBlock lists the workbook's sheets, each linked.
func (b *xlsxSummary) sheetsBlock(r *Report, sheets []string) {
	b.section("Sheets in this workbook")
	byTitle := map[string]string{}
	for c, t := range CategoryTitles {
		byTitle[t] = c
	}
	for _, sh := range sheets {
		purpose := xlsxSheetPurposes[sh]
		if purpose == "" {
			// A category's sheet, or its continuation past Excel's row limit.
			title, _, _ := strings.Cut(sh, " (")
			if c, ok := byTitle[title]; ok {
				purpose = "Findings: " + xlsxCategoryMeanings[c]
			}
		}
		b.link(sh, xlsxText(purpose))
	}
	if !r.Options.AggregateOnly {
		b.line(false, excelize.Cell{StyleID: b.st.warning, Value: xlsxPersonalDataHeader + ": the finding sheets name people; handle the workbook accordingly."})
	}
}
