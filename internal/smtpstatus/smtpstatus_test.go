package smtpstatus

import (
	"fmt"
	"testing"
)

func TestParseReadsRFC3463Codes(t *testing.T) {
	for s, want := range map[string]Code{
		"2.0.0":     {2, 0, 0},
		"4.7.0":     {4, 7, 0},
		"5.7.8":     {5, 7, 8},
		"4.7.66":    {4, 7, 66},
		"5.999.999": {5, 999, 999},
		"5.100.10":  {5, 100, 10},
	} {
		got, err := Parse(s)
		if err != nil || got != want {
			t.Errorf("Parse(%q) = %v, %v; want %v", s, got, err, want)
		}
		if got.String() != s {
			t.Errorf("Parse(%q).String() = %q", s, got.String())
		}
	}
}

func TestParseRefusesWhatIsNotACode(t *testing.T) {
	for _, s := range []string{
		"", "5", "5.7", "5.7.8.1", "5..8", ".7.8", "5.7.",
		"3.0.0", "1.0.0", "0.0.0", "6.0.0", "55.7.8", // class 2, 4 or 5 only
		"5.1000.0", "5.0.1000", // 0-999
		"05.7.8", "5.07.8", "5.7.08", "5.00.0", // leading zeros
		"+5.7.8", "5.-7.8", "5.+7.8", // signs
		" 5.7.8", "5.7.8 ", "5. 7.8", "5.7.8\n", // spaces
		"5.7.8x", "5.7.x", "x.7.8", "5,7,8", "٥.7.8", // not digits
		"OK:", "Error:", "1.2.3.4",
	} {
		if c, err := Parse(s); err == nil {
			t.Errorf("Parse(%q) = %v, want an error", s, c)
		}
	}
}

func TestMatchesTheReplyClass(t *testing.T) {
	c := Code{5, 7, 8}
	for reply, want := range map[int]bool{535: true, 550: true, 454: false, 250: false} {
		if got := c.Matches(reply); got != want {
			t.Errorf("%v.Matches(%d) = %v, want %v", c, reply, got, want)
		}
	}
}

// scanned is how scenarios/check.go validated a code against its reply
// before this package: Sscanf, the ranges, and the text read back the same.
func scanned(e string, code int) bool {
	var class, subject, detail int
	if n, err := fmt.Sscanf(e, "%d.%d.%d", &class, &subject, &detail); err != nil || n != 3 {
		return false
	}
	return class == code/100 && subject >= 0 && subject <= 999 && detail >= 0 && detail <= 999 &&
		e == fmt.Sprintf("%d.%d.%d", class, subject, detail)
}

// FuzzParse holds Parse to what scenarios accepted before it (for replies
// of class 2, 4 and 5, the only classes RFC 3463 has), and to reading back
// exactly what it parsed.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"5.7.8", "4.7.66", "2.0.0", "05.7.8", "5.7.8x", "+5.7.8", "5.1000.0", "3.0.0", " 5.7.8"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Parse(s)
		if err == nil && c.String() != s {
			t.Errorf("Parse(%q) = %v, which writes %q", s, c, c.String())
		}
		for _, reply := range []int{250, 454, 535} {
			if got, want := err == nil && c.Matches(reply), scanned(s, reply); got != want {
				t.Errorf("%q with %d: Parse and Matches say %v, the old check %v (%v)", s, reply, got, want, err)
			}
		}
	})
}
