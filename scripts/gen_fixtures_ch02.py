#!/usr/bin/env python3
"""scripts/gen_fixtures_ch02.py — PyTorch reference values for chapter 2 and for common/ops/.

Run:  /usr/bin/python3 scripts/gen_fixtures_ch02.py        (needs torch; tested with 1.13)
Writes (committed, so the tests need no Python):
  tests/fixtures/ch02_mlp_grads.txt  a fixed MLP 6->5->4->3 (ReLU, mean cross-entropy, batch 4):
                                     inputs, weights, targets, loss and every gradient
  tests/fixtures/ops_torch.txt       every op in common/ops/: inputs, an upstream gradient,
                                     the forward output and the input gradients

File format (both files), one rule so one small reader handles everything:
  - lines starting with '#' are comments (the first says what, the seed and this command);
  - a block starts with a line  "@ <name> <d0> <d1> ..."  (no dims = a scalar), followed by
    d0*d1*... values, one per line, row-major, printed with %.9g;
  - names ending in ".f64" / ".f32" were computed in float64 / float32 from the same float32
    inputs (inputs are drawn in float32, so %.9g round-trips them exactly).
Our Linear stores w as (in, out): the transpose of torch.nn.Linear.weight (out, in). Every w and
dw below is written in OUR layout, (in, out).
"""
import os
import sys

import torch

SEED = 1234
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "fixtures")
CMD = "/usr/bin/python3 scripts/gen_fixtures_ch02.py"


class Writer:
    def __init__(self, path, first_line, more):
        self.path = path
        self.lines = ["# " + first_line] + ["# " + m if m else "#" for m in more]

    def block(self, name, t):
        t = t.detach()
        dims = " ".join(str(d) for d in t.shape)
        self.lines.append(("@ %s %s" % (name, dims)).rstrip())
        for v in t.reshape(-1).tolist():
            self.lines.append("%.9g" % v)

    def close(self):
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            f.write("\n".join(self.lines) + "\n")
        os.replace(tmp, self.path)
        print("wrote %s (%d lines)" % (os.path.relpath(self.path, ROOT), len(self.lines)))


def away_from_zero(g, shape, lo=0.1, hi=1.5):
    """float32 values in ±[lo, hi]: away from the kink of relu / leaky_relu at 0."""
    mag = torch.empty(shape).uniform_(lo, hi, generator=g)
    sign = torch.where(torch.rand(shape, generator=g) < 0.5, -1.0, 1.0)
    return (mag * sign).float()


# ---- the chapter-2 MLP ----

def mlp_fixture():
    g = torch.Generator().manual_seed(SEED)
    sizes = [6, 5, 4, 3]
    B = 4
    x = torch.randn(B, sizes[0], generator=g).float()
    y = torch.randint(0, sizes[-1], (B,), generator=g)
    ws, bs = [], []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        a = 1.0 / fan_in ** 0.5   # torch's default nn.Linear range, drawn here explicitly
        ws.append(torch.empty(fan_in, fan_out).uniform_(-a, a, generator=g).float())   # (in, out)
        bs.append(torch.empty(fan_out).uniform_(-a, a, generator=g).float())

    w = Writer(os.path.join(OUT, "ch02_mlp_grads.txt"),
               "ch02_mlp_grads: MLP 6->5->4->3, ReLU, mean cross-entropy, batch 4; seed %d; "
               "made by: %s (torch %s)" % (SEED, CMD, torch.__version__),
               ["Format: see scripts/gen_fixtures_ch02.py. Blocks: x (4,6), y (4) class targets,",
                "w1 (6,5) b1 (5) w2 (5,4) b2 (4) w3 (4,3) b3 (3) [w is (in, out) = torch weight^T],",
                "then loss.fXX, dw1.fXX ... db3.fXX and dx.fXX in float64 and float32.",
                "Forward: h1 = relu(x w1 + b1), h2 = relu(h1 w2 + b2), z = h2 w3 + b3,",
                "loss = mean_i [logsumexp(z_i) - z_i,y_i]."])
    w.block("x", x)
    w.block("y", y.double())
    for i, (wi, bi) in enumerate(zip(ws, bs), 1):
        w.block("w%d" % i, wi)
        w.block("b%d" % i, bi)
    for dtype, tag in ((torch.float64, "f64"), (torch.float32, "f32")):
        xx = x.to(dtype).requires_grad_()
        params = [(wi.to(dtype).requires_grad_(), bi.to(dtype).requires_grad_())
                  for wi, bi in zip(ws, bs)]
        h = xx
        for k, (wi, bi) in enumerate(params):
            h = h @ wi + bi
            if k < len(params) - 1:
                h = torch.relu(h)
        loss = torch.nn.functional.cross_entropy(h, y)
        loss.backward()
        w.block("loss." + tag, loss)
        for i, (wi, bi) in enumerate(params, 1):
            w.block("dw%d.%s" % (i, tag), wi.grad)
            w.block("db%d.%s" % (i, tag), bi.grad)
        w.block("dx." + tag, xx.grad)
    w.close()


# ---- every op in common/ops/ ----

def ops_fixture():
    g = torch.Generator().manual_seed(SEED + 1)
    F = torch.nn.functional
    S = (3, 4)

    def rnd(shape):
        return torch.randn(shape, generator=g).float()

    # name: (inputs {name: float32 tensor}, which inputs get a gradient, forward(dict) -> out)
    cases = []
    cases.append(("add", {"x": rnd(S), "b": rnd(S)}, ["x", "b"], lambda t: t["x"] + t["b"]))
    cases.append(("sub", {"x": rnd(S), "b": rnd(S)}, ["x", "b"], lambda t: t["x"] - t["b"]))
    cases.append(("mul", {"x": rnd(S), "b": rnd(S)}, ["x", "b"], lambda t: t["x"] * t["b"]))
    cases.append(("scale", {"x": rnd(S)}, ["x"], lambda t: 0.7 * t["x"]))
    cases.append(("matmul", {"x": rnd((3, 4)), "b": rnd((4, 5))}, ["x", "b"],
                  lambda t: t["x"] @ t["b"]))
    cases.append(("bias_add", {"x": rnd(S), "b": rnd((4,))}, ["x", "b"],
                  lambda t: t["x"] + t["b"]))
    cases.append(("sum", {"x": rnd(S)}, ["x"], lambda t: t["x"].sum()))
    cases.append(("mean", {"x": rnd(S)}, ["x"], lambda t: t["x"].mean()))
    cases.append(("relu", {"x": away_from_zero(g, S)}, ["x"], lambda t: torch.relu(t["x"])))
    cases.append(("leaky_relu", {"x": away_from_zero(g, S)}, ["x"],
                  lambda t: F.leaky_relu(t["x"], 0.01)))
    cases.append(("sigmoid", {"x": rnd(S)}, ["x"], lambda t: torch.sigmoid(t["x"])))
    cases.append(("tanh", {"x": rnd(S)}, ["x"], lambda t: torch.tanh(t["x"])))
    cases.append(("gelu", {"x": rnd(S)}, ["x"], lambda t: F.gelu(t["x"], approximate="none")))
    cases.append(("softmax", {"x": rnd((3, 5))}, ["x"], lambda t: torch.softmax(t["x"], 1)))
    cases.append(("log_softmax", {"x": rnd((3, 5))}, ["x"],
                  lambda t: torch.log_softmax(t["x"], 1)))
    ce_t = torch.randint(0, 5, (4,), generator=g)
    cases.append(("cross_entropy", {"x": rnd((4, 5)), "t": ce_t.float()}, ["x"],
                  lambda t: F.cross_entropy(t["x"], t["t"].long())))
    cases.append(("bce", {"x": torch.empty(S).uniform_(0.05, 0.95, generator=g).float(),
                          "y": torch.rand(S, generator=g).float()}, ["x"],
                  lambda t: F.binary_cross_entropy(t["x"], t["y"])))
    cases.append(("mse", {"x": rnd(S), "y": rnd(S)}, ["x"], lambda t: F.mse_loss(t["x"], t["y"])))

    w = Writer(os.path.join(OUT, "ops_torch.txt"),
               "ops_torch: every op in common/ops/ vs PyTorch; seed %d; made by: %s (torch %s)"
               % (SEED + 1, CMD, torch.__version__),
               ["Format: blocks '@ <name> <dims...>' then the values one per line, row-major, %.9g",
                "(see scripts/gen_fixtures_ch02.py). For each op <op> (in this order):",
                "  <op>.x            first input (float32; relu/leaky_relu inputs in ±[0.1, 1.5])",
                "  <op>.b | .y | .t  second input, if any: b for add/sub/mul/matmul/bias_add,",
                "                    y = target for bce/mse (no gradient), t = class targets for",
                "                    cross_entropy (integers stored as floats)",
                "  <op>.dy           upstream gradient dL/d(out), same shape as the output",
                "  <op>.out.f64/.f32 forward output",
                "  <op>.dx.f64/.f32  gradient of L = sum(out * dy) w.r.t. x; .db.* likewise for b",
                "Constants: scale s = 0.7; leaky_relu slope = 0.01; gelu exact (erf);",
                "reductions and losses give a 0-d output (dy is a scalar); softmax family is",
                "row-wise over the last dim; matmul b is (K, N) like our (in, out) weights."])
    for name, inputs, grad_names, fwd in cases:
        for k, v in inputs.items():
            w.block("%s.%s" % (name, k), v)
        out_shape = fwd(inputs).shape
        dy = rnd(out_shape)
        w.block(name + ".dy", dy)
        for dtype, tag in ((torch.float64, "f64"), (torch.float32, "f32")):
            t = {k: v.to(dtype) for k, v in inputs.items()}
            for k in grad_names:
                t[k].requires_grad_()
            out = fwd(t)
            (out * dy.to(dtype)).sum().backward()
            w.block("%s.out.%s" % (name, tag), out)
            for k in grad_names:
                w.block("%s.d%s.%s" % (name, k, tag), t[k].grad)
    w.close()


if __name__ == "__main__":
    torch.set_num_threads(1)
    mlp_fixture()
    ops_fixture()
    sys.exit(0)
