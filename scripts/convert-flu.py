#!/usr/bin/python3
"""Converts qusage's fluExample (Debian r-bioc-qusage) into data/qusage_flu_response.csv.gz, once.

The data: 17 subjects challenged with H3N2 influenza, whole-blood microarrays (log2) at up to 16 time points
(Huang et al. 2011, GEO GSE30550; as shipped in the Bioconductor package qusage, GPL-2+). The regression
task, in the GEARS sense (a perturbation's effect on an expression profile): from a subject's baseline
profile (hour 0) and the hours since the challenge, predict the change of the profile from baseline at that
time (the response; GEARS evaluates such changes). One row per array: `sample_id`, features `base_<gene>`
(the subject's hour-0 profile) and `hours`, targets `t_<gene>` (log2 change from the subject's hour 0),
metadata `subject` (split sites by it) and `condition` (the hour; `0` is the control condition), and
`label` (the challenge arm: `sx` symptomatic, `asx` asymptomatic). Genes: the 100 most variable across all
arrays, so the file stays small.

Usage (needs python3-rdata; the .deb is only unpacked, not installed):
  apt-get download r-bioc-qusage && dpkg-deb -x r-bioc-qusage_*.deb /tmp/qusage
  /usr/bin/python3 scripts/convert-flu.py /tmp/qusage/usr/lib/R/site-library/qusage/data/fluExample.RData
"""
import csv
import gzip
import io
import sys

import numpy as np
import rdata

GENES = 100


def main(path: str, out: str = 'data/qusage_flu_response.csv.gz') -> None:
    data = rdata.conversion.convert(rdata.parser.parse_file(path))
    eset = data['eset.full']  # genes × arrays
    meta = data['flu.meta']
    expr = np.asarray(eset.values, dtype=np.float64)
    genes = [str(g) for g in eset.coords['dim_0'].values]
    arrays = [str(a) for a in eset.coords['dim_1'].values]
    top = np.argsort(-expr.var(axis=1), kind='stable')[:GENES]
    by_id = {str(r.SampleID): r for r in meta.itertuples()}
    column = {a: i for i, a in enumerate(arrays)}
    baseline = {}
    for a in arrays:
        r = by_id[a]
        if float(r._4) == 0.0:  # Hours.Numeric
            baseline[str(r.Subject)] = expr[top, column[a]]
    rows = []
    for a in arrays:
        r = by_id[a]
        subject = str(r.Subject)
        if subject not in baseline:
            continue  # no hour-0 array: no baseline to start from
        hours = float(r._4)
        change = expr[top, column[a]] - baseline[subject]
        rows.append([a, *np.round(baseline[subject], 5), hours, *np.round(change, 5),
                     subject, f'{hours:g}', str(r.Condition)])
    header = ['sample_id', *[f'base_{genes[g]}' for g in top], 'hours', *[f't_{genes[g]}' for g in top],
              'subject', 'condition', 'label']
    text = io.StringIO()
    w = csv.writer(text, lineterminator='\n')
    w.writerow(header)
    w.writerows(rows)
    with gzip.GzipFile(out, 'wb', mtime=0) as f:
        f.write(text.getvalue().encode())
    print(f'{out}: {len(rows)} arrays of {len(baseline)} subjects, {GENES} genes')


if __name__ == '__main__':
    main(*sys.argv[1:])
