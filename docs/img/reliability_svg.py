#!/usr/bin/python3
"""Draws docs/img/reliability.svg, the reliability diagram of docs/decisions.md, from
the output of examples/calibration.cpp (no plotting library: a few lines of SVG).

    build/examples/calibration > /tmp/calibration.txt
    /usr/bin/python3 docs/img/reliability_svg.py /tmp/calibration.txt docs/img/reliability.svg

Both axes are log10 from 1e-4 to 1 (most predictions of a 2%-positive problem lie below 0.05);
values below 1e-4, zeros included, are drawn on the floor with a hollow marker.
"""
import math
import sys

FLOOR, SIZE, MARGIN = 1e-4, 420, 60
COLORS = {"bayes": "#555555", "raw": "#d62728", "corrected": "#1f77b4", "sigmoid": "#2ca02c",
          "isotonic": "#9467bd"}


def pos(v):
    """Pixel offset of probability v on a log axis [FLOOR, 1]."""
    t = (math.log10(max(v, FLOOR)) - math.log10(FLOOR)) / -math.log10(FLOOR)
    return t * SIZE


def main(src, dst):
    curves, summary = {}, {}
    for line in open(src):
        f = line.split()
        if f and f[0] == "curve":
            curves.setdefault(f[1], []).append((float(f[2]), float(f[3])))
        elif len(f) > 6 and f[1] == "mean":
            summary[f[0]] = "brier %s, log loss %s" % (f[4], f[6])
    w, h = SIZE + 2 * MARGIN + 230, SIZE + 2 * MARGIN
    x0, y0 = MARGIN, MARGIN + SIZE  # origin (bottom left)
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
           'font-family="sans-serif" font-size="12">' % (w, h),
           '<rect width="100%" height="100%" fill="white"/>']
    for k in range(-4, 1):  # grid and tick labels
        p = pos(10.0 ** k)
        out.append('<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="#ddd"/>' % (x0 + p, y0, x0 + p, y0 - SIZE))
        out.append('<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="#ddd"/>' % (x0, y0 - p, x0 + SIZE, y0 - p))
        label = "1" if k == 0 else "1e%d" % k
        out.append('<text x="%g" y="%g" text-anchor="middle">%s</text>' % (x0 + p, y0 + 18, label))
        out.append('<text x="%g" y="%g" text-anchor="end">%s</text>' % (x0 - 6, y0 - p + 4, label))
    out.append('<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="black" stroke-dasharray="4 3"/>'
               % (x0, y0, x0 + SIZE, y0 - SIZE))
    out.append('<text x="%g" y="%g" text-anchor="middle">mean predicted probability (bin)</text>'
               % (x0 + SIZE / 2, y0 + 40))
    out.append('<text transform="translate(%g,%g) rotate(-90)" text-anchor="middle">observed '
               'share of positives</text>' % (x0 - 45, y0 - SIZE / 2))
    for i, (name, pts) in enumerate(curves.items()):
        c = COLORS.get(name, "black")
        path = " ".join("%s%g,%g" % ("M" if j == 0 else "L", x0 + pos(a), y0 - pos(b))
                        for j, (a, b) in enumerate(pts))
        out.append('<path d="%s" fill="none" stroke="%s" stroke-width="2"/>' % (path, c))
        for a, b in pts:
            hollow = a < FLOOR or b < FLOOR
            out.append('<circle cx="%g" cy="%g" r="3.5" fill="%s" stroke="%s"/>'
                       % (x0 + pos(a), y0 - pos(b), "white" if hollow else c, c))
        ly = MARGIN + 10 + 36 * i
        out.append('<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="%s" stroke-width="3"/>'
                   % (x0 + SIZE + 20, ly, x0 + SIZE + 40, ly, c))
        out.append('<text x="%g" y="%g">%s</text>' % (x0 + SIZE + 46, ly + 4, name))
        out.append('<text x="%g" y="%g" font-size="10" fill="#444">%s</text>'
                   % (x0 + SIZE + 46, ly + 17, summary.get(name, "")))
    out.append("</svg>")
    open(dst, "w").write("\n".join(out) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
