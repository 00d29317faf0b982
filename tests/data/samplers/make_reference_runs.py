#!/usr/bin/env python3
"""Reference runs of k-diffusion's and A1111's samplers for tests/sampling/test_samplers_reference.cpp.

    python3 make_reference_runs.py K_DIFFUSION_CHECKOUT A1111_SD_SAMPLERS_EXTRA_PY > reference_runs.json

The samplers run as their authors wrote them: k_diffusion/sampling.py is imported from a checkout
of crowsonkb/k-diffusion and A1111's restart_sampler from its modules/sd_samplers_extra.py; neither
is copied here. What those files import but these samplers never call (scipy, torchdiffeq,
torchsde, tqdm, k_diffusion.utils' image helpers) is replaced by stand-ins. The model is a small
nonlinear denoiser of Gaussian data, the noise a fixed list of draws handed out in order (as A1111's
hijacked torch.randn_like and an explicit noise_sampler give them), eta 1 as A1111 runs them.
"""
import importlib.util
import json
import sys
import types

import torch


def stand_in(name, **attributes):
    module = types.ModuleType(name)
    module.__dict__.update(attributes)
    sys.modules[name] = module
    return module


class ProgressBar:
    """tqdm's bar as k-diffusion uses it, showing nothing."""

    def __init__(self, *_, **__):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *_):
        return False

    def update(self, *_):
        pass


def load_k_diffusion_sampling(checkout):
    stand_in('scipy', integrate=None)
    stand_in('scipy.integrate')
    stand_in('torchdiffeq', odeint=None)
    stand_in('torchsde', BrownianTree=None)
    stand_in('tqdm', tqdm=lambda *a, **k: None)
    stand_in('tqdm.auto', trange=lambda n, disable=None: range(n), tqdm=ProgressBar)
    package = stand_in('k_diffusion')
    package.__path__ = []
    stand_in('k_diffusion.utils', append_dims=lambda x, n: x[(...,) + (None,) * (n - x.ndim)])
    spec = importlib.util.spec_from_file_location('k_diffusion.sampling', f'{checkout}/k_diffusion/sampling.py')
    sampling = importlib.util.module_from_spec(spec)
    sys.modules['k_diffusion.sampling'] = sampling
    package.sampling = sampling
    spec.loader.exec_module(sampling)
    return sampling


def load_restart_sampler(path):
    sys.modules['tqdm'].tqdm = lambda iterable, disable=None: iterable
    spec = importlib.util.spec_from_file_location('sd_samplers_extra', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.restart_sampler


MU, S = 0.3, 0.7


def denoiser(x, sigma):
    """The posterior mean of N(MU, S^2) data, bent by a small nonlinearity so that every order shows."""
    variance = sigma[:, None, None, None] ** 2
    return MU + S * S / (S * S + variance) * (x - MU) + 0.05 * torch.sin(3 * x) / (1 + variance)


class Draws:
    """The fixed noise, handed out in order."""

    def __init__(self, noise):
        self.noise, self.used = noise, 0

    def __call__(self, *_):
        self.used += 1
        return self.noise[self.used - 1].clone()

    def randn_like(self, x):
        return self(x)

    def __getattr__(self, name):
        return getattr(torch, name)


def main():
    sampling = load_k_diffusion_sampling(sys.argv[1])
    restart_sampler = load_restart_sampler(sys.argv[2])
    torch.manual_seed(20261202)
    shape = [1, 2, 3, 3]
    x_t = torch.randn(shape)
    noise = [torch.randn(shape) for _ in range(32)]
    sigma_min, sigma_max = 0.0291675, 14.6146412

    def karras(n):
        return sampling.get_sigmas_karras(n, sigma_min, sigma_max)

    def exponential(n):
        return sampling.get_sigmas_exponential(n, sigma_min, sigma_max)

    def range_sampler(function):
        # A1111 passes the range and the step count; the test hands our sampler the sigmas.
        return lambda x, sigmas, draws: function(denoiser, x, sigmas[-2].item(), sigmas[0].item(),
                                                 **({'n': len(sigmas) - 1} if function is sampling.sample_dpm_fast else {}),
                                                 eta=1.0, noise_sampler=draws)

    runs = {
        'DPM++ 2M SDE': (exponential(10), lambda x, s, d: sampling.sample_dpmpp_2m_sde(denoiser, x, s, noise_sampler=d)),
        'DPM++ 2M SDE Heun': (exponential(10), lambda x, s, d: sampling.sample_dpmpp_2m_sde(
            denoiser, x, s, noise_sampler=d, solver_type='heun')),
        'DPM++ 3M SDE': (exponential(10), lambda x, s, d: sampling.sample_dpmpp_3m_sde(denoiser, x, s, noise_sampler=d)),
        'DPM++ 3M SDE (Karras)': (karras(7), lambda x, s, d: sampling.sample_dpmpp_3m_sde(denoiser, x, s, noise_sampler=d)),
        'DPM fast': (karras(10), range_sampler(sampling.sample_dpm_fast)),
        'DPM fast (9 steps)': (karras(9), range_sampler(sampling.sample_dpm_fast)),
        'DPM adaptive': (karras(10), range_sampler(sampling.sample_dpm_adaptive)),
        'Restart (10 steps)': (karras(10), None),
        'Restart (24 steps)': (karras(24), None),
        'Restart (40 steps)': (karras(40), None),
    }
    cases = []
    for name, (sigmas, run) in runs.items():
        draws = Draws(noise)
        x = x_t * sigmas[0]
        if run is None:
            sampling.torch = draws  # A1111's TorchHijack: randn_like from the image's stream
            final = restart_sampler(denoiser, x, sigmas)
            sampling.torch = torch
        else:
            final = run(x, sigmas, draws)
        cases.append({'sampler': name.split(' (')[0], 'name': name, 'sigmas': sigmas.tolist(),
                      'draws': draws.used, 'final': final.flatten().tolist()})
    json.dump({'shape': shape, 'mu': MU, 's': S, 'x_T': x_t.flatten().tolist(),
               'noise': [n.flatten().tolist() for n in noise], 'cases': cases}, sys.stdout)


if __name__ == '__main__':
    main()
