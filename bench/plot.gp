# bench/plot.gp - draw the benchmark CSV: one PNG per section
# (outdir/bench-SECTION.png), one panel per unit, one horizontal bar per row
# (median), a whisker for min-max and the median and ratio written beside it.
#
#   gnuplot -e "csv='build/bench.csv'; outdir='build'" bench/plot.gp
# (make bench-plot).  CSV columns: section,row,unit,median,min,max,ratio,runs;
# rows with runs = 0 (not measured in this build) are left out.

if (!exists("csv")) csv = 'build/bench.csv'
if (!exists("outdir")) outdir = 'build'

set datafile separator comma
set style fill solid 0.6 border -1
set grid xtics
set key off
set xrange [0:*]
set offsets 0, graph 0.25, 0.5, 0.5
set ytics nomirror font ",9"
set yrange [*:*] reverse
set tics out
set lmargin at screen 0.40
set rmargin at screen 0.96

# Lines of the CSV for a section (and unit): grep, so the quoted row names,
# which may hold commas, need no parsing here.
rows(s, u) = sprintf("< grep -E '^%s,\"[^\"]*\",%s,' '%s' | grep -v ',0$'", s, u, csv)
units(s) = system(sprintf("grep -E '^%s,' '%s' | sed -E 's/^[^,]*,\"[^\"]*\",([^,]*),.*/\\1/' | grep -v '^$' | sort -u | tr '\\n' ' '", s, csv))
count(s, u) = int(system(sprintf("grep -E '^%s,\"[^\"]*\",%s,' '%s' | grep -vc ',0$'", s, u, csv)))

titles = "per-packet:per-packet cost (BPF_PROG_TEST_RUN, ns per packet; ratio to the XDP_PASS floor) " . \
         "forward:forwarding rate, 64-byte UDP (packets/s; ratio to iptables DNAT) " . \
         "flip:flip cost, 0 vs many live flows (ratio to 0 flows) " . \
         "http:HTTP through the VIP vs direct (ratio to direct) " . \
         "flood:SYN flood during flips (counts; new connections: ratio to no flood)"

title_of(s) = system(sprintf("echo '%s' | sed -E 's/.*%s:([^)]*\\)).*/\\1/'", titles, s))

do for [s in "per-packet forward flip http flood"] {
	us = units(s)
	if (strlen(us) > 0) {
		total = 0
		do for [u in us] { total = total + count(s, u) }
		n_units = words(us)
		set terminal pngcairo noenhanced size 1100, (120 * n_units + 26 * total + 40) font ",10"
		set output sprintf("%s/bench-%s.png", outdir, s)
		set multiplot layout n_units, 1 title title_of(s) font ",12"
		do for [u in us] {
			# a log axis when the rows span more than 50x (e.g. status
			# with 0 vs 1e6 flows), else one outlier squashes the rest
			stats rows(s, u) using 4 nooutput
			lo = STATS_min
			stats rows(s, u) using 6 nooutput
			hi = STATS_max
			if (lo > 0 && hi / lo > 50) {
				set logscale x
				base = 10 ** floor(log10(lo))
				set xrange [base:*]
				set xlabel u . " (log scale)"
			} else {
				unset logscale x
				base = 0
				set xrange [0:*]
				set xlabel u
			}
			plot rows(s, u) using 4:0:(base):4:($0 - 0.35):($0 + 0.35):ytic(2) with boxxyerror lc rgb "#4a7ab5", \
			     '' using 4:0:5:6 with xerrorbars pt -1 lc rgb "#202020", \
			     '' using 6:0:(sprintf(column(4) >= 1000 ? "  %.0f  (x%.2f)" : "  %.3g  (x%.2f)", column(4), column(7))) with labels left font ",9"
		}
		unset multiplot
		set output
		print sprintf("bench-plot: %s/bench-%s.png", outdir, s)
	}
}
