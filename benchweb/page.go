package benchweb

import (
	"embed"
	"html/template"
	"io"
	"io/fs"
	"net/http"

	"alertsim/internal/mailview"
)

//go:embed static
var static embed.FS

var page = template.Must(template.ParseFS(static, "static/index.html"))

// pageHandler serves the page and its script and style, from the binary.
func pageHandler(h *Handler) http.Handler {
	sub, _ := fs.Sub(static, "static")
	files := http.FileServerFS(sub)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The page's own script and style only: a message's HTML never
		// runs here (parts are served sandboxed, see part).
		w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-src 'none'")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if r.URL.Path == "/message.css" {
			// The message view's style, shared with a run's report.
			w.Header().Set("Content-Type", "text/css; charset=utf-8")
			io.WriteString(w, mailview.CSS)
			return
		}
		if r.URL.Path != "/" {
			files.ServeHTTP(w, r)
			return
		}
		title := h.Title
		if title == "" {
			title = "alertsim bench"
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		page.Execute(w, map[string]any{"Title": title, "CA": len(h.CAPEM) > 0})
	})
}
