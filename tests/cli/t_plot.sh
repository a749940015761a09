# SPDX-License-Identifier: MIT
# mprof plot: output formats and names, options, overlays, flame, window,
# slope, what an unwritable output does; and that the picture has its
# curve in it (pixels of the curve's color where the data says).
. "$(dirname "$0")/lib.sh"

# PNG width and height from the IHDR chunk
png_size() { od -An -tu1 -j16 -N8 "$1" | awk '{ printf "%dx%d\n", $1*16777216+$2*65536+$3*256+$4, $5*16777216+$6*65536+$7*256+$8 }'; }
is_png() { [ "$(od -An -c -N4 "$1" | tr -d ' ')" = '211PNG' ]; }

{
	echo "CMDLINE ./prog --flag"
	awk 'BEGIN { for (i = 0; i <= 100; i++) printf "MEM %.6f %.4f\n", 10 + (i >= 30 && i < 70 ? 40 : 0), 1000 + i * 0.05 }'
	awk 'BEGIN { for (i = 20; i <= 80; i++) printf "CHLD 77 %.6f %.4f\n", 20, 1000 + i * 0.05 }'
	echo "FUNC prog.c.load 10.0000 1001.4000 50.0000 1001.6000 0"
	echo "FUNC prog.c.step 50.0000 1001.6000 50.0000 1002.0000 1"
	echo "FUNC prog.c.step 50.0000 1002.1000 50.0000 1002.5000 1"
} >mprofile_20240101000000.dat
cp mprofile_20240101000000.dat second.dat

run "$MPROF" plot
check "plot: no file means the newest profile, written beside it" eval "status_is 0 && out_is \"plot written to 'mprofile_20240101000000.png'\""
check "plot: a PNG of 1200x600" eval 'is_png mprofile_20240101000000.png && [ "$(png_size mprofile_20240101000000.png)" = 1200x600 ]'
run "$MPROF" plot -o again.png mprofile_20240101000000.dat
check "plot: the same file draws the same picture" cmp -s again.png mprofile_20240101000000.png
check "plot -o: says where it wrote" eval "status_is 0 && out_is \"plot written to 'again.png'\""
run "$MPROF" plot -o x.svg 0
check "plot INDEX -o x.svg: an SVG" eval 'status_is 0 && head -c 200 x.svg | grep -q "<svg"'
run "$MPROF" plot -o x.pdf second.dat
check "plot -o x.pdf: a PDF" eval 'status_is 0 && [ "$(head -c 5 x.pdf)" = "%PDF-" ]'
run "$MPROF" plot -o X.PNG second.dat
check "plot: the extension's case does not matter" eval 'status_is 0 && is_png X.PNG'
run "$MPROF" plot -f -o flame.png second.dat
check "plot -f: a flame band under the plot (taller)" eval 'status_is 0 && [ "$(png_size flame.png)" = 1200x654 ]'
run "$MPROF" plot -s -n -t "my title" -o s.png second.dat
check "plot -s -n -t: draws" eval 'status_is 0 && is_png s.png'
run "$MPROF" plot -w 1,3 -o w.png second.dat
check "plot -w: draws" eval 'status_is 0 && is_png w.png'
run "$MPROF" plot -w 500,600 -o w2.png second.dat
check "plot -w past the data: still draws" eval 'status_is 0 && is_png w2.png'
run "$MPROF" plot -o both.png second.dat mprofile_20240101000000.dat
check "plot A B: an overlay" eval 'status_is 0 && is_png both.png'
# An SVG carries its title and legend as text (<title>, <desc>); an
# overlay is titled and labels each curve by its command, with the file's
# name where two commands are the same, long ones cut in the middle.
run "$MPROF" plot -o one.svg second.dat
check "plot -o x.svg: the title and legend as text" eval "status_is 0 && grep -q '^<title>./prog --flag</title>$' one.svg && grep -q '^step 0.800 s in 2 calls$' one.svg"
sed 's/^CMDLINE .*/CMDLINE \/usr\/bin\/other-program --with-a-rather-long-option=value --and-another-one x/' second.dat >third.dat
run "$MPROF" plot -o ov.svg second.dat mprofile_20240101000000.dat third.dat
check "overlay: a title" eval "status_is 0 && grep -q '^<title>memory of 3 runs</title>$' ov.svg"
check "overlay: same commands told apart by file" eval "grep -q '^prog --flag \[second.dat\] (peak 50.0 MiB)$' ov.svg && grep -q '^prog --flag \[mprofile_20240101000000.dat\] (peak 50.0 MiB)$' ov.svg"
check "overlay: a long command cut in the middle" eval "grep -q '^other-program --with-a\.\.\.lue --and-another-one x (peak 50.0 MiB)$' ov.svg"
run "$MPROF" plot -o ov2.svg second.dat mprofile_20240101000000.dat
check "overlay of one program: titled by it" eval "status_is 0 && grep -q '^<title>prog: memory of 2 runs</title>$' ov2.svg"

run "$MPROF" plot -o /nonexistent/dir/x.png second.dat
check "plot: an unwritable output is status 1" eval "status_is 1 && err_has \"^mprof: cannot write '/nonexistent/dir/x.png'\""
run "$MPROF" plot second.dat nosuch.dat -o partial.png
check "plot: a missing input is reported, the rest drawn, status 1" eval "status_is 1 && is_png partial.png && err_has \"'nosuch.dat'\""
echo "MEM 1.0 1.0" >one.dat
run "$MPROF" plot -o one.png one.dat
check "plot: a single sample draws" eval 'status_is 0 && is_png one.png'

# Pixels: in the default plot the program's curve (blue) passes through
# the plateau at 50 MiB in the middle of the run and the child's (orange)
# at 20 MiB; the peak guides are red.  Python reads the PNG if there.
if [ -n "${MPROF_PYTHON:-}" ]; then
	cat >pixels.py <<'X'
import sys
import matplotlib.image as im
img = im.imread(sys.argv[1])[:, :, :3]
r, g, b = img[:, :, 0], img[:, :, 1], img[:, :, 2]
blue = int(((b > 0.6) & (r < 0.3) & (g < 0.6)).sum())
orange = int(((r > 0.9) & (g > 0.4) & (g < 0.6) & (b < 0.2)).sum())
red = int(((r > 0.7) & (g < 0.3) & (b < 0.3)).sum())
print(blue, orange, red)
sys.exit(0 if blue > 500 and orange > 300 and red > 100 else 1)
X
	check "plot: the curves and the peak are in the picture" "$MPROF_PYTHON" pixels.py mprofile_20240101000000.png
fi

finish
