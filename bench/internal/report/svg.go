package report

import (
	"bytes"
	"fmt"
	"math"
	"strings"
)

// Layout, in SVG user units.
const (
	svgWidth    = 760
	plotLeft    = 90
	plotRight   = svgWidth - 20
	headerH     = 92  // title, subtitle, legend
	panelH      = 270 // one panel: title, plot, group labels
	plotTop     = 34  // within a panel
	plotBottom  = 226 // within a panel
	noteH       = 16
	maxBarWidth = 56
)

// palette colours implementations by their position in the legend.
var palette = []string{"#d95f02", "#1b9e77", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#666666"}

// SVG renders the chart. The output depends only on the chart: the same
// input gives the same bytes.
func (c Chart) SVG() []byte {
	height := headerH + len(c.Panels)*panelH + len(c.Notes)*noteH + 12
	var b bytes.Buffer
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...); b.WriteByte('\n') }
	p(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`,
		svgWidth, height, svgWidth, height)
	p(`<title>%s</title>`, esc(c.Title))
	p(`<rect width="%d" height="%d" fill="#ffffff"/>`, svgWidth, height)
	p(`<text x="%d" y="26" font-size="17" font-weight="bold">%s</text>`, plotLeft-70, esc(c.Title))
	p(`<text x="%d" y="46" font-size="11" fill="#444444">%s</text>`, plotLeft-70, esc(c.Subtitle))
	// Legend: one swatch per implementation.
	x := plotLeft - 70
	for i, impl := range c.Impls {
		p(`<rect x="%d" y="60" width="12" height="12" fill="%s"/>`, x, color(i))
		p(`<text x="%d" y="70">%s</text>`, x+17, esc(impl))
		x += 17 + 8*len(impl) + 22
	}
	for i, pn := range c.Panels {
		c.panel(p, pn, headerH+i*panelH)
	}
	y := headerH + len(c.Panels)*panelH
	for _, n := range c.Notes {
		y += noteH
		p(`<text x="%d" y="%d" font-size="11" fill="#444444">%s</text>`, plotLeft-70, y-4, esc(n))
	}
	p(`</svg>`)
	return b.Bytes()
}

func (c Chart) panel(p func(string, ...any), pn Panel, top int) {
	y0, y1 := float64(top+plotBottom), float64(top+plotTop) // y0: the zero line
	hi := 0.0
	for _, g := range pn.Groups {
		for _, bar := range g.Bars {
			if bar.OK {
				hi = math.Max(hi, math.Max(bar.Median, bar.Max))
			}
		}
	}
	step, ymax := scale(hi)
	yOf := func(v float64) float64 { return y0 - (v/ymax)*(y0-y1) }
	p(`<text x="%d" y="%d" font-size="13" font-weight="bold">%s</text>`, plotLeft, top+18, esc(pn.Title))
	// Y axis: grid lines, ticks, labels, the axis title.
	for i := range int(math.Round(ymax/step)) + 1 {
		v := float64(i) * step
		y := yOf(v)
		p(`<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#e0e0e0"/>`, plotLeft, y, plotRight, y)
		p(`<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#333333"/>`, plotLeft-4, y, plotLeft, y)
		p(`<text x="%d" y="%.1f" text-anchor="end" font-size="11">%s</text>`, plotLeft-7, y+4, esc(pn.Format(v)))
	}
	p(`<text transform="translate(16,%.1f) rotate(-90)" text-anchor="middle" font-size="11">%s</text>`,
		(y0+y1)/2, esc(pn.YLabel))
	p(`<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#333333"/>`, plotLeft, y1, plotLeft, y0)
	p(`<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#333333"/>`, plotLeft, y0, plotRight, y0)
	if len(pn.Groups) == 0 {
		return
	}
	// X axis: a group per figure, a bar per implementation.
	gw := float64(plotRight-plotLeft) / float64(len(pn.Groups))
	for gi, g := range pn.Groups {
		gx := float64(plotLeft) + gw*float64(gi)
		n := len(g.Bars)
		bw := math.Min(maxBarWidth, gw*0.75/float64(max(n, 1)))
		x0 := gx + (gw-bw*float64(n))/2
		p(`<text x="%.1f" y="%.1f" text-anchor="middle" font-size="12">%s</text>`, gx+gw/2, y0+20, esc(g.Label))
		for bi, bar := range g.Bars {
			bx := x0 + bw*float64(bi)
			cx := bx + bw/2
			if !bar.OK {
				p(`<text x="%.1f" y="%.1f" text-anchor="middle" font-size="10" fill="#888888">n/a</text>`, cx, y0-4)
				continue
			}
			yt := yOf(bar.Median)
			p(`<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s %s: %s [%s-%s]</title></rect>`,
				bx+1, yt, bw-2, y0-yt, color(bi), esc(c.implName(bi)), esc(g.Label),
				esc(pn.Format(bar.Median)), esc(pn.Format(bar.Min)), esc(pn.Format(bar.Max)))
			labelY := yt
			if bar.Max > bar.Min {
				ylo, yhi := yOf(bar.Min), yOf(bar.Max)
				capW := bw / 6
				p(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#222222"/>`, cx, ylo, cx, yhi)
				p(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#222222"/>`, cx-capW, yhi, cx+capW, yhi)
				p(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#222222"/>`, cx-capW, ylo, cx+capW, ylo)
				labelY = math.Min(labelY, yhi)
			}
			p(`<text x="%.1f" y="%.1f" text-anchor="middle" font-size="10">%s</text>`, cx, labelY-4, esc(pn.Format(bar.Median)))
		}
	}
}

func (c Chart) implName(i int) string {
	if i < len(c.Impls) {
		return c.Impls[i]
	}
	return fmt.Sprint(i)
}

func color(i int) string { return palette[i%len(palette)] }

// scale returns a tick step of 1, 2 or 5 times a power of ten giving about
// five ticks, and the axis top: the first tick above hi with room for the
// value labels.
func scale(hi float64) (step, top float64) {
	if !(hi > 0) || math.IsInf(hi, 0) {
		return 1, 5
	}
	raw := hi * 1.1 / 5
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if step = m * mag; step >= raw {
			break
		}
	}
	return step, math.Ceil(hi*1.1/step) * step
}

var escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")

func esc(s string) string { return escaper.Replace(s) }
