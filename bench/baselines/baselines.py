"""Baselines for `npm run table:baselines`: re-implementations (torch + numpy) of scikit-learn's defaults,
which Debian's python3-torch can run where scikit-learn is not installed.

- LogisticRegression(C=1.0, solver='lbfgs', max_iter=1000, tol=1e-4): multinomial softmax for K > 2 classes,
  one logistic output for K = 2 (as sklearn), L2 on the weights only (not the intercept); sklearn's objective
  mean(CE) + ||W||^2 / (2 C n), minimised in float64 on the full batch by L-BFGS (history 10, strong Wolfe,
  stop at max |grad| <= tol).
- MLPClassifier(): one hidden layer of 100 ReLU units, Adam lr 1e-3 (betas 0.9/0.999, eps 1e-8), alpha 1e-4
  L2 added as alpha/(2 batch) ||W||^2 per batch, batch min(200, n), up to 200 epochs with shuffling, stopping
  when the epoch's training loss has not improved by tol 1e-4 for more than 10 epochs; Glorot-uniform init of
  weights and biases (sklearn's _init_coef); a logistic output for K = 2, softmax otherwise.

Input: argv[1] is a folder holding meta.json ({rows: {train, test}, cols, classes, seed, lr, mlp,
weights}) and raw little-endian arrays x_train.f32, y_train.i32, x_test.f32, y_test.i32 (already
standardised). Output: one JSON object on stdout: {lr: {accuracy, iterations, [coef, intercept]}, mlp: {...}}.
"""

import json
import os
import sys

import numpy as np
import torch

torch.set_num_threads(1)  # the table runs beside other work on a shared machine


def load(folder):
    with open(os.path.join(folder, "meta.json")) as f:
        meta = json.load(f)
    cols = meta["cols"]

    def arr(name, dtype, shape):
        return np.fromfile(os.path.join(folder, name), dtype=dtype).reshape(shape)

    n, m = meta["rows"]["train"], meta["rows"]["test"]
    data = {
        "x_train": arr("x_train.f32", "<f4", (n, cols)).astype(np.float64),
        "y_train": arr("y_train.i32", "<i4", (n,)).astype(np.int64),
        "x_test": arr("x_test.f32", "<f4", (m, cols)).astype(np.float64),
        "y_test": arr("y_test.i32", "<i4", (m,)).astype(np.int64),
    }
    return meta, data


def logits_to_pred(logits):
    if logits.shape[1] == 1:
        return (logits[:, 0] > 0).long()
    return logits.argmax(dim=1)


def data_loss(logits, y):
    if logits.shape[1] == 1:
        return torch.nn.functional.binary_cross_entropy_with_logits(logits[:, 0], y.to(logits.dtype))
    return torch.nn.functional.cross_entropy(logits, y)


def logistic_regression(x, y, classes, c=1.0, max_iter=1000, tol=1e-4):
    n, d = x.shape
    outputs = 1 if classes == 2 else classes
    w = torch.zeros(d, outputs, dtype=torch.float64, requires_grad=True)
    b = torch.zeros(outputs, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS(
        [w, b],
        lr=1,
        max_iter=max_iter,
        history_size=10,
        tolerance_grad=tol,
        tolerance_change=64 * np.finfo(np.float64).eps,
        line_search_fn="strong_wolfe",
    )

    def closure():
        opt.zero_grad()
        loss = data_loss(x @ w + b, y) + (w * w).sum() / (2 * c * n)
        loss.backward()
        return loss

    opt.step(closure)
    iterations = opt.state[opt._params[0]]["n_iter"]
    return w.detach(), b.detach(), iterations


def mlp_classifier(x, y, classes, seed, hidden=100, lr=1e-3, alpha=1e-4, max_epochs=200, tol=1e-4, patience=10):
    gen = torch.Generator().manual_seed(seed)
    n, d = x.shape
    outputs = 1 if classes == 2 else classes

    def glorot(fan_in, fan_out):
        bound = np.sqrt(6.0 / (fan_in + fan_out))
        w = (torch.rand(fan_in, fan_out, generator=gen, dtype=torch.float64) * 2 - 1) * bound
        b = (torch.rand(fan_out, generator=gen, dtype=torch.float64) * 2 - 1) * bound
        return w.requires_grad_(), b.requires_grad_()

    w1, b1 = glorot(d, hidden)
    w2, b2 = glorot(hidden, outputs)
    params = [w1, b1, w2, b2]
    opt = torch.optim.Adam(params, lr=lr, betas=(0.9, 0.999), eps=1e-8)
    batch = min(200, n)
    best, stale, epochs = np.inf, 0, 0
    for epoch in range(max_epochs):
        epochs = epoch + 1
        order = torch.randperm(n, generator=gen)
        total = 0.0
        for start in range(0, n, batch):
            idx = order[start : start + batch]
            opt.zero_grad()
            logits = torch.relu(x[idx] @ w1 + b1) @ w2 + b2
            penalty = alpha * ((w1 * w1).sum() + (w2 * w2).sum()) / (2 * len(idx))
            loss = data_loss(logits, y[idx]) + penalty
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        epoch_loss = total / n
        stale = stale + 1 if epoch_loss > best - tol else 0
        best = min(best, epoch_loss)
        if stale > patience:
            break

    def predict(xs):
        with torch.no_grad():
            return logits_to_pred(torch.relu(xs @ w1 + b1) @ w2 + b2)

    return predict, epochs


def accuracy(pred, y):
    return float((pred == y).double().mean())


def main():
    meta, data = load(sys.argv[1])
    torch.manual_seed(meta["seed"])
    x, y = torch.from_numpy(data["x_train"]), torch.from_numpy(data["y_train"])
    xt, yt = torch.from_numpy(data["x_test"]), torch.from_numpy(data["y_test"])
    k = meta["classes"]
    out = {}
    if meta.get("lr", True):
        w, b, iterations = logistic_regression(x, y, k)
        out["lr"] = {"accuracy": accuracy(logits_to_pred(xt @ w + b), yt), "iterations": iterations}
        if meta.get("weights", False):
            out["lr"]["coef"] = w.t().tolist()
            out["lr"]["intercept"] = b.tolist()
    if meta.get("mlp", True):
        predict, epochs = mlp_classifier(x, y, k, meta["seed"])
        out["mlp"] = {"accuracy": accuracy(predict(xt), yt), "epochs": epochs}
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
