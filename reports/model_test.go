package reports

import (
	"encoding/json"
	"testing"
)

func TestMoneyJSON(t *testing.T) {
	for _, tt := range []struct {
		cents Money
		text  string
	}{{-2500, "-25.00"}, {5, "0.05"}, {-5, "-0.05"}, {123456, "1234.56"}, {0, "0.00"}} {
		b, _ := json.Marshal(tt.cents)
		if string(b) != tt.text {
			t.Errorf("%d marshals to %s, want %s", tt.cents, b, tt.text)
		}
		var back Money
		if err := json.Unmarshal(b, &back); err != nil || back != tt.cents {
			t.Errorf("%s reads back as %d (%v)", b, back, err)
		}
	}
	var m Money
	if err := json.Unmarshal([]byte("-0.005"), &m); err != nil || m != -1 {
		t.Errorf("-0.005 reads as %d, want -1 (half away from zero)", m)
	}
}
