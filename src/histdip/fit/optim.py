"""Adam, the optimiser every fit uses.

The arithmetic is that of ``torch.optim.Adam`` on its default CPU path (one tensor at a
time, no weight decay, no AMSGrad), operation for operation, so a fit gives the same
bits with either. It is written out because ``torch.optim``'s first step imports
``torch._dynamo``: seconds per process on a 2-core CPU, a large share of what a whole
1200 x 900 restoration takes (docs/decisions/fast-network.md). A fit needs none of that
machinery; tests/fit/test_optim.py checks the bits are torch's.
"""

from __future__ import annotations

import torch


class Adam:
    """Adam (Kingma & Ba 2015) with bias correction, for a list of parameters.

    Parameters
    ----------
    params : iterable of torch.nn.Parameter
    lr : float
        Step size.
    betas : (float, float)
        Decay of the running mean of the gradient and of its square.
    eps : float
        Added to the root of the second moment, against division by zero.

    A parameter without a gradient at a step is left alone; unlike torch's, the step
    count is shared by all parameters (the same whenever every one gets a gradient,
    as in a fit).

    Examples
    --------
    >>> import torch
    >>> w = torch.nn.Parameter(torch.tensor([1.0]))
    >>> opt = Adam([w], lr=0.1)
    >>> (w ** 2).sum().backward(); opt.step()
    >>> round(w.item(), 3)
    0.9
    """

    def __init__(self, params, lr, betas=(0.9, 0.999), eps=1e-8):
        self.params = [p for p in params if p.requires_grad]
        if not self.params:
            raise ValueError("Adam got no parameters to fit")
        if not lr > 0:
            raise ValueError(f"learning rate must be > 0, got {lr}")
        self.lr, (self.beta1, self.beta2), self.eps = float(lr), betas, float(eps)
        self.steps = 0
        self._mean = [torch.zeros_like(p, memory_format=torch.preserve_format) for p in self.params]
        self._square = [torch.zeros_like(p, memory_format=torch.preserve_format) for p in self.params]

    def zero_grad(self):
        """Drop the gradients (the next backward pass starts from none)."""
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self):
        """One update from the gradients now held by the parameters."""
        self.steps += 1
        # Python floats, as torch's CPU path computes them (from a float32 step count,
        # which holds integers exactly far beyond any fit's length).
        correction1 = 1 - self.beta1 ** float(self.steps)
        correction2_sqrt = (1 - self.beta2 ** float(self.steps)) ** 0.5
        step_size = self.lr / correction1
        for p, mean, square in zip(self.params, self._mean, self._square):
            if p.grad is None:
                continue
            grad = p.grad
            mean.lerp_(grad, 1 - self.beta1)
            square.mul_(self.beta2).addcmul_(grad, grad, value=1 - self.beta2)
            denom = (square.sqrt() / correction2_sqrt).add_(self.eps)
            p.addcdiv_(mean, denom, value=-step_size)

    def state_dict(self):
        """A copy of what the next steps depend on besides the rate: the step count and
        both running moments (what a rewound fit, :mod:`histdip.fit.loop`, goes back to)."""
        return {"steps": self.steps,
                "mean": [m.clone() for m in self._mean], "square": [q.clone() for q in self._square]}

    @torch.no_grad()
    def load_state_dict(self, state):
        """Go back to a :meth:`state_dict` (the rate stays as it is)."""
        self.steps = int(state["steps"])
        for mine, saved in zip(self._mean + self._square, list(state["mean"]) + list(state["square"])):
            mine.copy_(saved)
