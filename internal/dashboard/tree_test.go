package dashboard

import (
	"slices"
	"testing"

	"github.com/agentops-go/agentops/internal/model"
)

func sp(id, parent byte, start int64, end int64) model.Span {
	s := model.Span{SpanID: model.SpanID{id}, Start: start, End: end, Name: string('a' + rune(id))}
	if parent != 0 {
		s.ParentID = model.SpanID{parent}
	}
	return s
}

// TestTreeRows: depth first, children by start, orphans as roots, the ended
// version of a span sent twice, and spans in a parent cycle (bad data)
// drawn once each, from the earliest.
func TestTreeRows(t *testing.T) {
	spans := []model.Span{ // in start order, as the store returns them
		sp(1, 0, 0, 100),
		sp(2, 1, 10, 0),  // in flight...
		sp(3, 9, 15, 20), // parent 9 is not in the session: a root
		sp(2, 1, 10, 50), // ...and ended
		sp(4, 2, 20, 30),
		sp(5, 1, 25, 40),
		sp(6, 7, 30, 31), // 6 and 7 are each other's parent
		sp(7, 6, 32, 33),
	}
	rows := treeRows(spans)
	type got struct {
		id    byte
		depth int
		kids  bool
	}
	var out []got
	for _, r := range rows {
		out = append(out, got{spans[r.i].SpanID[0], r.depth, r.hasChildren})
	}
	want := []got{{1, 0, true}, {2, 1, true}, {4, 2, false}, {5, 1, false}, {3, 0, false}, {6, 0, true}, {7, 1, true}}
	if !slices.Equal(out, want) {
		t.Errorf("rows %v, want %v", out, want)
	}
	if spans[rows[1].i].End != 50 {
		t.Error("the in-flight version of span 2 was drawn, not the ended one")
	}
	// Layout: bars inside the axis, at least 2 units wide, the open span to the end.
	laid := layoutRows(spans, rows, 0, 100)
	for _, r := range laid {
		if r.X < 0 || r.W < 2 || r.X+r.W > 1000.0001 {
			t.Errorf("row %s: x %v w %v outside the axis", r.Name, r.X, r.W)
		}
	}
	if laid[0].W != 1000 || laid[1].X != 100 || laid[1].W != 400 {
		t.Errorf("layout: root w %v, span 2 at %v w %v", laid[0].W, laid[1].X, laid[1].W)
	}
}

func TestStackedBars(t *testing.T) {
	c := stackedBars([]string{"a", "b", "c"}, []series{
		{Name: "x", Class: "c0", Values: []float64{1, 0, 3}},
		{Name: "y", Class: "c1", Values: []float64{2, 0, 0}},
	}, formatCount, true)
	if c.Empty || len(c.Bars) != 3 || len(c.Bars[0].Segs) != 2 || len(c.Bars[1].Segs) != 0 {
		t.Fatalf("chart %+v", c)
	}
	// Both full bars reach 3 of a 4 axis: the same height, stacked from the base.
	h := func(b chartBar) float64 {
		sum := 0.0
		for _, s := range b.Segs {
			sum += s.H
		}
		return sum
	}
	plot := float64(chartH - padBottom - padTop)
	if h(c.Bars[0]) != h(c.Bars[2]) || h(c.Bars[0]) != plot*3/4 {
		t.Errorf("bar heights %v and %v, want %v", h(c.Bars[0]), h(c.Bars[2]), plot*3/4)
	}
	if top := c.Bars[0].Segs[1]; top.Y+top.H != c.Bars[0].Segs[0].Y {
		t.Error("segments are not stacked")
	}
	if c.YTicks[len(c.YTicks)-1].Label != "4" {
		t.Errorf("top tick %q, want 4", c.YTicks[len(c.YTicks)-1].Label)
	}
	if e := stackedBars([]string{"a"}, []series{{Values: []float64{0}}}, formatUSD, false); !e.Empty {
		t.Error("an all-zero chart is not marked empty")
	}
	for v, want := range map[float64]float64{0: 1, 0.3: 0.4, 3: 4, 4.5: 5, 7: 10, 11: 20, 0.021: 0.025, 260: 400} {
		if got := niceCeil(v); got < want*0.9999 || got > want*1.0001 {
			t.Errorf("niceCeil(%v) = %v, want %v", v, got, want)
		}
	}
}
