#!/usr/bin/python3
"""Baselines of the regression and embedding rows (bench/task-table.ts): scikit-learn's Ridge() and
MLPRegressor() with their defaults, and PCA + k-means, on the rows swarmd scores (standardised with the same
statistics). Reads one JSON document on stdin, prints one."""
import json
import sys

import numpy as np
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.linear_model import Ridge
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score, r2_score
from sklearn.neural_network import MLPRegressor


def regression(d):
    xt, yt = np.array(d['x_train']), np.array(d['y_train'])
    xs, ys = np.array(d['x_test']), np.array(d['y_test'])
    out = {}
    for name, model in [('ridge', Ridge()), ('mlp', MLPRegressor(random_state=d['seed'], max_iter=500))]:
        p = model.fit(xt, yt).predict(xs)
        out[name] = {'mse': float(((p - ys) ** 2).mean()), 'r2': float(r2_score(ys, p)), 'pred': p.tolist()}
    return out


def embedding(d):
    x, y = np.array(d['x_test']), np.array(d['y_test'])
    code = PCA(n_components=d['dim'], random_state=d['seed']).fit(np.array(d['x_train'])).transform(x)
    labels = KMeans(n_clusters=d['k'], n_init=10, random_state=d['seed']).fit_predict(code)
    return {'ari': float(adjusted_rand_score(y, labels)), 'nmi': float(normalized_mutual_info_score(y, labels))}


d = json.load(sys.stdin)
print(json.dumps(regression(d) if d['task'] == 'regression' else embedding(d)))
