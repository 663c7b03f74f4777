package alert

import (
	"context"
	"testing"
	"testing/synctest"
	"time"
)

func TestScheduleNext(t *testing.T) {
	at := func(s string) time.Time {
		v, _ := time.Parse(time.DateTime, s)
		return v
	}
	for _, tc := range []struct {
		s    Schedule
		from string
		want string
	}{
		{Schedule{Every: time.Hour}, "2000-01-01 00:30:00", "2000-01-01 01:30:00"},
		{Schedule{Daily: "08:00"}, "2000-01-01 00:30:00", "2000-01-01 08:00:00"},
		{Schedule{Daily: "08:00"}, "2000-01-01 08:00:00", "2000-01-02 08:00:00"},
		{Schedule{Daily: "03:00"}, "2000-01-31 23:59:59", "2000-02-01 03:00:00"},
	} {
		if got := tc.s.Next(at(tc.from)); !got.Equal(at(tc.want)) {
			t.Errorf("%+v after %s: %s, want %s", tc.s, tc.from, got, tc.want)
		}
	}
	if _, _, err := ParseDaily("8am"); err == nil {
		t.Error("ParseDaily accepted 8am")
	}
}

// TestScheduleRun: a daily heartbeat fires at 08:00 each day, on the
// virtual clock.
func TestScheduleRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		var fired []time.Time
		done := make(chan struct{})
		go func() {
			Schedule{Daily: "08:00"}.Run(ctx, func(at time.Time) { fired = append(fired, time.Now()) })
			close(done)
		}()
		time.Sleep(3 * 24 * time.Hour)
		cancel()
		<-done
		if len(fired) != 3 {
			t.Fatalf("fired %d times in three days: %v", len(fired), fired)
		}
		for i, f := range fired {
			if f.Hour() != 8 || f.Minute() != 0 || f.Second() != 0 || f.Day() != 1+i {
				t.Errorf("heartbeat %d at %v, want day %d 08:00:00", i+1, f, 1+i)
			}
		}
	})
}

func TestThrottle(t *testing.T) {
	th := Throttle{Min: time.Minute}
	t0 := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		after time.Duration
		allow bool
	}{{0, true}, {30 * time.Second, false}, {59 * time.Second, false}, {60 * time.Second, true}, {61 * time.Second, false}, {2 * time.Minute, true}} {
		if got := th.Allow(t0.Add(tc.after)); got != tc.allow {
			t.Errorf("alert at +%v allowed %v, want %v", tc.after, got, tc.allow)
		}
	}
}

func TestSubjectWithTime(t *testing.T) {
	at := time.Date(2009, 6, 18, 17, 30, 20, 500_000_000, time.UTC)
	if got := SubjectWithTime("CameraNotification", 44, at); got != "CameraNotification:20090618173020500" {
		t.Errorf("got %q", got)
	}
	long := "A subject that runs on for far more than forty-four characters"
	if got := SubjectWithTime(long, 44, at); got != long[:44]+":20090618173020500" {
		t.Errorf("got %q", got)
	}
	if got := SubjectWithTime("Bewegung erkannt – Tür", 20, at); got != "Bewegung erkannt – T:20090618173020500" {
		t.Errorf("cut in runes: got %q", got)
	}
}
