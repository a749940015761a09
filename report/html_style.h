/* SPDX-License-Identifier: MIT */
/*
 * html_style.h - the style sheet every page of the HTML report carries
 * inline (html.c): system fonts only, a bar behind each Increment (warm
 * for growth, cool for a negative one), dimmed lines without figures, a
 * highlighted #L<line> target, and a print style that keeps the bars and
 * drops the navigation.
 */
#ifndef MP_HTML_STYLE_H
#define MP_HTML_STYLE_H

static const char html_css[] =
"body{font:14px/1.4 system-ui,-apple-system,\"Segoe UI\",Roboto,sans-serif;"
"color:#1d1d1f;background:#fff;margin:0 auto;padding:0 1.5em 2em;max-width:110em}\n"
"h1{font-size:1.5em;margin:.8em 0 .2em;word-break:break-all}h1 code{font-size:inherit}\n"
"h2{font-size:1.2em;margin:1.6em 0 .4em;border-bottom:1px solid #ddd}\n"
"a{color:#0b57d0;text-decoration:none}a:hover{text-decoration:underline}\n"
".meta,.hint{color:#555;margin:.2em 0}.hint{font-size:.9em}\n"
".note{background:#fff4ce;border:1px solid #e8d28a;padding:.4em .8em}\n"
"nav.top{margin:.6em 0;font-size:.95em}nav.top a{margin-right:1.2em}\n"
"table{border-collapse:collapse;font-variant-numeric:tabular-nums}\n"
"th,td{padding:1px .6em;text-align:right;white-space:nowrap;vertical-align:top}\n"
"th{background:#f3f3f5;font-weight:600;border-bottom:1px solid #ccc;position:sticky;top:0}\n"
"td.t,th.t{text-align:left}\n"
"code,td.s,td.ln,td.w{font-family:ui-monospace,\"DejaVu Sans Mono\",Menlo,Consolas,monospace;font-size:13px}\n"
"td.s{text-align:left;white-space:pre;tab-size:8}\n"
"td.ln a{color:#888}\n"
"td.i{position:relative;z-index:0;min-width:7em}\n"
"td.i i{position:absolute;z-index:-1;left:0;top:1px;bottom:1px;min-width:2px}\n"
"td.p i{background:#f7b09a}td.n i{background:#9cc8f0}\n"
"td.p.h{color:#8a1c00;font-weight:600}td.n.h{color:#0a4f8f;font-weight:600}\n"
"td.g{color:#888}\n"
"tr.d td{color:#9a9a9a}tr.d td.ln a{color:#bbb}\n"
"table.src tbody tr:hover{background:#f6f8ff}\n"
"tr:target{background:#fff3a8!important;outline:2px solid #f0c000}\n"
"tr.fn td{background:#eef3fb;text-align:left;font-weight:600;padding:.3em .6em;border-top:1px solid #cdd9ee}\n"
"tr.gap td{color:#888;text-align:left;font-style:italic;background:#fafafa}\n"
"table.rank td.s{max-width:40em;overflow:hidden;text-overflow:ellipsis}\n"
"table.rank tbody tr:nth-child(even){background:#fafafc}\n"
"img.curve{max-width:100%;height:auto;border:1px solid #ddd}\n"
"ul.files{padding-left:1.2em}\n"
"*{-webkit-print-color-adjust:exact;print-color-adjust:exact}\n"
"@media print{body{font-size:9pt;max-width:none;padding:0}nav.top,.nonprint{display:none}"
"a{color:inherit}th{position:static}thead{display:table-header-group}"
"tr{break-inside:avoid}td.s,code,td.ln,td.w{font-size:8pt}td.s{white-space:pre-wrap;overflow-wrap:anywhere}"
"h2{break-after:avoid}img.curve{border:0}}\n";

#endif /* MP_HTML_STYLE_H */
