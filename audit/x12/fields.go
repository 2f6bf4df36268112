package x12

import "github.com/enrollaudit/enrollaudit/canonical"

// Indexes in canonical.Fields of the fields the reader sets: finding a
// field by name (Record.Set, Get) took a tenth of the parse.
var (
	fBenefitEnd           = field("benefit_end")
	fBenefitStart         = field("benefit_start")
	fBirthDate            = field("birth_date")
	fCoverageYear         = field("coverage_year")
	fEffectuationStatus   = field("effectuation_status")
	fExchangeMemberID     = field("exchange_member_id")
	fExchangePolicyID     = field("exchange_policy_id")
	fExchangeSubscriberID = field("exchange_subscriber_id")
	fFirstName            = field("first_name")
	fGender               = field("gender")
	fIssuerHIOSID         = field("issuer_hios_id")
	fIssuerMemberID       = field("issuer_member_id")
	fIssuerPolicyID       = field("issuer_policy_id")
	fLastName             = field("last_name")
	fPaidThroughDate      = field("paid_through_date")
	fQHPID                = field("qhp_id")
	fRatingArea           = field("rating_area")
	fRelationshipCode     = field("relationship_code")
	fSSN                  = field("ssn")
	fState                = field("state")
	fSubscriberIndicator  = field("subscriber_indicator")
	fZip                  = field("zip")
)

func field(name string) int {
	for i, f := range canonical.Fields {
		if f.Name == name {
			return i
		}
	}
	panic("x12: unknown field " + name)
}
