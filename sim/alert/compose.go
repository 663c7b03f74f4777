package alert

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
)

// Alert is one e-mail a device wants to send, before it is composed.
type Alert struct {
	// FromName is the display name of the sender ("Site A North Fence"),
	// FromAddress its mailbox.
	FromName    string
	FromAddress string
	To          []string
	Subject     string
	Date        time.Time
	// MessageID is the identifier without angle brackets; see MessageID.
	MessageID string
	// Text is the body shown to the reader.
	Text        string
	Attachments []Attachment
}

// Attachment is a file carried by an alert: a snapshot, a log.
type Attachment struct {
	Name        string
	ContentType string
	Data        []byte
}

// MessageID returns a message identifier that is unique per device and per
// mail, and the same on every run: a firmware without a good random source
// derives it from what it has.
func MessageID(seed uint64, host string, n int) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "%d/%s/%d", seed, host, n))
	return hex.EncodeToString(sum[:8]) + "." + fmt.Sprint(n) + "@" + host
}

// Compose renders an alert as an RFC 5322 message with CRLF line endings:
// a text body alone, or multipart/mixed with the attachments in base64 lines
// of 76 characters. Non-ASCII display names and subjects are encoded as RFC
// 2047 words. The MIME boundary derives from the message ID, so the same
// alert always composes to the same bytes. Text may end its lines with LF
// or CRLF: the quoted-printable writer ends every line with CRLF.
func Compose(a Alert) ([]byte, error) {
	if a.FromAddress == "" {
		return nil, errors.New("alert: no sender address")
	}
	if len(a.To) == 0 {
		return nil, errors.New("alert: no recipient")
	}
	if a.MessageID == "" {
		return nil, errors.New("alert: no message ID")
	}
	to := make([]*mail.Address, len(a.To))
	for i, addr := range a.To {
		to[i] = &mail.Address{Address: addr}
	}

	// go-message writes header fields in the reverse order of setting
	// them.
	var h mail.Header
	if len(a.Attachments) > 0 {
		boundary := "alert-" + strings.NewReplacer(".", "", "@", "").Replace(a.MessageID)
		h.SetContentType("multipart/mixed", map[string]string{"boundary": boundary})
	} else {
		setTextType(&h.Header)
	}
	h.Set("MIME-Version", "1.0")
	h.SetMessageID(a.MessageID)
	h.SetDate(a.Date)
	h.SetSubject(a.Subject)
	h.SetAddressList("To", to)
	h.SetAddressList("From", []*mail.Address{{Name: a.FromName, Address: a.FromAddress}})

	// One allocation of the final size: base64 is 4 bytes for 3, and 78
	// for each 76 with the line ends. A burst of 4 MP snapshots is
	// several megabytes; growing by doubling would copy it over and over.
	size := 4096 + len(a.Text)*3
	for _, att := range a.Attachments {
		encoded := (len(att.Data) + 2) / 3 * 4
		size += 1024 + encoded + (encoded/76+1)*2
	}
	var buf bytes.Buffer
	buf.Grow(size)
	w, err := message.CreateWriter(&buf, h.Header)
	if err != nil {
		return nil, fmt.Errorf("alert: composing: %w", err)
	}
	if len(a.Attachments) == 0 {
		if _, err := w.Write([]byte(a.Text)); err != nil {
			return nil, err
		}
	} else {
		var th message.Header
		setTextType(&th)
		if err := writePart(w, th, []byte(a.Text)); err != nil {
			return nil, err
		}
		for _, att := range a.Attachments {
			var ah message.Header
			ah.Set("Content-Transfer-Encoding", "base64")
			ah.SetContentDisposition("attachment", map[string]string{"filename": att.Name})
			ah.SetContentType(att.ContentType, map[string]string{"name": att.Name})
			if err := writePart(w, ah, att.Data); err != nil {
				return nil, err
			}
		}
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("alert: composing: %w", err)
	}
	return buf.Bytes(), nil
}

func setTextType(h *message.Header) {
	h.Set("Content-Transfer-Encoding", "quoted-printable")
	h.SetContentType("text/plain", map[string]string{"charset": "utf-8"})
}

func writePart(w *message.Writer, h message.Header, body []byte) error {
	pw, err := w.CreatePart(h)
	if err != nil {
		return fmt.Errorf("alert: composing: %w", err)
	}
	if _, err := pw.Write(body); err != nil {
		return err
	}
	return pw.Close()
}

// SubjectWithTime cuts a subject to limit characters and appends the time
// as ":YYYYMMDDhhmmssmmm" (24-hour, milliseconds), as BB-series cameras do:
// "CameraNotification:20090618173020500".
func SubjectWithTime(subject string, limit int, t time.Time) string {
	if r := []rune(subject); limit > 0 && len(r) > limit {
		subject = string(r[:limit])
	}
	return fmt.Sprintf("%s:%s%03d", subject, t.Format("20060102150405"), t.Nanosecond()/int(time.Millisecond))
}
