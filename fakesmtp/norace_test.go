//go:build !race

package fakesmtp_test

const raceDetector = false
