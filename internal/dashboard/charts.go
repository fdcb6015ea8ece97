package dashboard

import (
	"math"
	"strconv"
	"strings"

	"github.com/agentops-go/agentops/internal/format"
)

// Charts are drawn on the server as SVG: the templates place rectangles and
// labels at the coordinates computed here, and CSS classes give the
// colours (no inline style, which the Content-Security-Policy forbids).

// Plot area of every bar chart, in SVG user units.
const (
	chartW    = 640
	chartH    = 220
	padLeft   = 56
	padBottom = 26
	padTop    = 8
	padRight  = 8
)

type series struct {
	Name   string
	Class  string // CSS class of its colour
	Values []float64
}

type chart struct {
	W, H    int
	Bars    []chartBar
	YTicks  []chartTick
	XLabels []chartTick
	Legend  []legendItem
	Empty   bool
	Base    float64 // y of the axis
	Left    float64 // x of the axis
	Right   float64
}

type chartBar struct {
	X, W  float64
	Segs  []chartSeg
	Title string
}

type chartSeg struct {
	Y, H  float64
	Class string
	Title string
}

type chartTick struct {
	X, Y  float64
	Label string
}

type legendItem struct {
	Name, Class string
}

// stackedBars draws one bar per label, its series stacked. format writes a
// value for the axis and the tooltips.
func stackedBars(labels []string, ss []series, format func(float64) string, integer bool) chart {
	c := chart{W: chartW, H: chartH, Base: chartH - padBottom, Left: padLeft, Right: chartW - padRight}
	maxTotal := 0.0
	for i := range labels {
		t := 0.0
		for _, s := range ss {
			t += s.Values[i]
		}
		maxTotal = math.Max(maxTotal, t)
	}
	for _, s := range ss {
		c.Legend = append(c.Legend, legendItem{s.Name, s.Class})
	}
	c.Empty = maxTotal == 0
	top := niceCeil(maxTotal)
	if integer {
		top = max(top, 4)
	}
	ticks := 4 // 1, 2, 4 and 10 times a power of ten split in quarters; 2.5 and 5 in fifths
	if m := top / math.Pow(10, math.Floor(math.Log10(top))); m == 2.5 || m == 5 {
		ticks = 5
	}
	plotH := float64(chartH - padBottom - padTop)
	plotW := float64(chartW - padLeft - padRight)
	for i := 0; i <= ticks; i++ {
		v := top * float64(i) / float64(ticks)
		c.YTicks = append(c.YTicks, chartTick{X: padLeft - 6, Y: c.Base - plotH*float64(i)/float64(ticks), Label: tickLabel(format(v))})
	}
	n := len(labels)
	if n == 0 {
		return c
	}
	slot := plotW / float64(n)
	barW := math.Max(1, slot*0.72)
	every := 1 + n/12 // at most ~12 labels on the x axis
	for i, label := range labels {
		x := padLeft + slot*float64(i) + (slot-barW)/2
		b := chartBar{X: x, W: barW, Title: label}
		y := c.Base
		total := 0.0
		for _, s := range ss {
			v := s.Values[i]
			if v <= 0 || top == 0 {
				continue
			}
			total += v
			h := plotH * v / top
			y -= h
			b.Segs = append(b.Segs, chartSeg{Y: y, H: h, Class: s.Class, Title: label + " · " + s.Name + ": " + format(v)})
		}
		b.Title = label + ": " + format(total)
		c.Bars = append(c.Bars, b)
		if i%every == 0 {
			c.XLabels = append(c.XLabels, chartTick{X: x + barW/2, Y: c.Base + 16, Label: label})
		}
	}
	return c
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten (1 for 0).
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 2.5, 4, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

func formatCount(v float64) string {
	switch {
	case v >= 1e9:
		return trimZero(strconv.FormatFloat(v/1e9, 'f', 1, 64)) + "B"
	case v >= 1e6:
		return trimZero(strconv.FormatFloat(v/1e6, 'f', 1, 64)) + "M"
	case v >= 1e4:
		return trimZero(strconv.FormatFloat(v/1e3, 'f', 1, 64)) + "k"
	}
	if v == math.Trunc(v) {
		return format.Thousands(int64(v))
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

func trimZero(s string) string {
	if len(s) > 2 && s[len(s)-2:] == ".0" {
		return s[:len(s)-2]
	}
	return s
}

// tickLabel drops the zeros an axis label does not need ("$0.0250" reads
// "$0.025"), keeping two decimals for an amount of money ("$0.20").
func tickLabel(s string) string {
	dot := strings.IndexByte(s, '.')
	if dot < 0 || strings.ContainsAny(s[dot:], "kMB") {
		return s
	}
	keep := dot + 1 // drop the point too for a plain number
	if strings.HasPrefix(s, "$") {
		keep = dot + 3
	}
	for len(s) > keep && s[len(s)-1] == '0' {
		s = s[:len(s)-1]
	}
	return strings.TrimSuffix(s, ".")
}

func formatUSD(v float64) string {
	switch {
	case v == 0:
		return "$0"
	case v >= 100:
		return "$" + strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 1:
		return "$" + strconv.FormatFloat(v, 'f', 2, 64)
	}
	return "$" + strconv.FormatFloat(v, 'f', 4, 64)
}

// hbar is one row of a horizontal bar list (errors, reasons).
type hbar struct {
	Label, Sub string
	Class      string
	Count      int64
	Width      float64 // 0..100 of the SVG's width
}

func hbars(rows []hbar) []hbar {
	var top int64
	for _, r := range rows {
		top = max(top, r.Count)
	}
	for i := range rows {
		if top > 0 {
			rows[i].Width = 100 * float64(rows[i].Count) / float64(top)
		}
	}
	return rows
}
