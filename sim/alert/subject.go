package alert

import "strings"

// ExpandSubject replaces the %Name% variables of a subject template with
// their values ("%Camera_Name% - %Event_Type%" with Camera_Name and
// Event_Type set gives "Gate - Motion Detected"). A variable the device does
// not know is left as written, so the user sees what they typed; a lone %
// stays a %.
func ExpandSubject(template string, vars map[string]string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(template, '%')
		if i < 0 {
			b.WriteString(template)
			return b.String()
		}
		j := strings.IndexByte(template[i+1:], '%')
		if j < 0 {
			b.WriteString(template)
			return b.String()
		}
		name := template[i+1 : i+1+j]
		if v, ok := vars[name]; ok {
			b.WriteString(template[:i])
			b.WriteString(v)
			template = template[i+j+2:]
			continue
		}
		// Not a variable: keep the first % and look again from the second.
		b.WriteString(template[:i+1])
		template = template[i+1:]
	}
}
