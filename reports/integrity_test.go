package reports

import (
	"testing"

	"github.com/enrollaudit/enrollaudit/history"
)

func TestIntegrityHistory(t *testing.T) {
	g := &Integrity{IntegrityCounts: IntegrityCounts{Policies: 10, PoliciesIntact: 8, People: 20, PeopleIntact: 15, DollarsAtStake: 12345},
		ByIssuer: []IntegrityGroup{{Key: "11111", IntegrityCounts: IntegrityCounts{Policies: 10, PoliciesIntact: 8, People: 20, PeopleIntact: 15, DollarsAtStake: 12345}}},
		ByState:  []IntegrityGroup{{Key: "VA", IntegrityCounts: IntegrityCounts{Policies: 10, PoliciesIntact: 8, People: 20, PeopleIntact: 15, DollarsAtStake: 12345}}}}
	got := g.History()
	want := []history.Integrity{
		{Grouping: "total", Policies: 10, PoliciesIntact: 8, People: 20, PeopleIntact: 15, DollarsAtStakeCents: 12345},
		{Grouping: "issuer", Key: "11111", Policies: 10, PoliciesIntact: 8, People: 20, PeopleIntact: 15, DollarsAtStakeCents: 12345},
		{Grouping: "state", Key: "VA", Policies: 10, PoliciesIntact: 8, People: 20, PeopleIntact: 15, DollarsAtStakeCents: 12345},
	}
	if len(got) != len(want) {
		t.Fatalf("History() = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("History()[%d] = %+v, want %+v", i, got[i], want[i])
		}
	}
	if (*Integrity)(nil).History() != nil {
		t.Error("no integrity figures: want nothing recorded")
	}
}

// TestDiscloseIntegrity: in an aggregate-only report, people not intact of
// 1 to 10 hide the intact figures of their group, and a group's hidden
// figures cannot be recovered from the total and the other groups.
func TestDiscloseIntegrity(t *testing.T) {
	c := func(people, intact int64) IntegrityCounts {
		return IntegrityCounts{Policies: people / 2, PoliciesIntact: intact / 2, People: people, PeopleIntact: intact}.WithRates()
	}
	s := Summary{Integrity: &Integrity{IntegrityCounts: c(300, 280),
		ByIssuer: []IntegrityGroup{{Key: "A", IntegrityCounts: c(100, 95)}, {Key: "B", IntegrityCounts: c(200, 185)}}}}
	d := Disclose(s, true).Integrity
	if !d.ByIssuer[0].Intact {
		t.Errorf("issuer A has 5 people not intact: its intact figures must be hidden: %+v", d)
	}
	if !d.ByIssuer[1].Intact && !d.Total.Intact {
		t.Errorf("A's intact count follows from the total's and B's: one of them must be hidden too: %+v", d)
	}
	if d.Total.People {
		t.Errorf("the total's 300 people need no hiding: %+v", d)
	}
	if d := Disclose(s, false).Integrity; d.Total.Intact || d.ByIssuer[0].Intact {
		t.Errorf("not aggregate-only: nothing hidden: %+v", d)
	}
}
