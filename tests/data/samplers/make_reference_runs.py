#!/usr/bin/env python3
"""Reference runs of k-diffusion's and A1111's samplers for tests/sampling/test_samplers_reference.cpp.

    python3 make_reference_runs.py K_DIFFUSION_CHECKOUT A1111_SD_SAMPLERS_EXTRA_PY > reference_runs.json

The samplers run as their authors wrote them: k_diffusion/sampling.py is imported from a checkout
of crowsonkb/k-diffusion and A1111's restart_sampler from its modules/sd_samplers_extra.py; neither
is copied here. A1111's timestep samplers (DDIM, DDIM CFG++, PLMS, UniPC) are reproduced below
from its modules/sd_samplers_timesteps_impl.py and modules/models/diffusion/uni_pc/uni_pc.py,
trimmed to the paths A1111 runs, as they need its CFG denoiser and options around them. What those files import but these samplers never call (scipy, torchdiffeq,
torchsde, tqdm, k_diffusion.utils' image helpers) is replaced by stand-ins. The model is a small
nonlinear denoiser of Gaussian data, the noise a fixed list of draws handed out in order (as A1111's
hijacked torch.randn_like and an explicit noise_sampler give them), eta 1 as A1111 runs them.
"""
import importlib.util
import json
import sys
import types

import numpy as np
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


# ---- A1111's timestep samplers (stable-diffusion-webui 1.10, modules/sd_samplers_timesteps_impl.py) ----
# Reproduced to compute expected numbers; `model` is A1111's CFGDenoiserTimesteps (see CfgDenoiser).

def a1111_ddim(model, x, timesteps, extra_args=None, callback=None, disable=None, eta=0.0):
    alphas_cumprod = model.inner_model.inner_model.alphas_cumprod
    alphas = alphas_cumprod[timesteps]
    alphas_prev = alphas_cumprod[torch.nn.functional.pad(timesteps[:-1], pad=(1, 0))].to(torch.float64)
    sqrt_one_minus_alphas = torch.sqrt(1 - alphas)
    sigmas = eta * np.sqrt((1 - alphas_prev.cpu().numpy()) / (1 - alphas.cpu()) * (1 - alphas.cpu() / alphas_prev.cpu().numpy()))

    extra_args = {} if extra_args is None else extra_args
    s_in = x.new_ones((x.shape[0]))
    s_x = x.new_ones((x.shape[0], 1, 1, 1))
    for i in range(len(timesteps) - 1):
        index = len(timesteps) - 1 - i

        e_t = model(x, timesteps[index].item() * s_in, **extra_args)

        a_t = alphas[index].item() * s_x
        a_prev = alphas_prev[index].item() * s_x
        sigma_t = sigmas[index].item() * s_x
        sqrt_one_minus_at = sqrt_one_minus_alphas[index].item() * s_x

        pred_x0 = (x - sqrt_one_minus_at * e_t) / a_t.sqrt()
        dir_xt = (1. - a_prev - sigma_t ** 2).sqrt() * e_t
        noise = sigma_t * torch.randn_like(x)
        x = a_prev.sqrt() * pred_x0 + dir_xt + noise

    return x


def a1111_ddim_cfgpp(model, x, timesteps, extra_args=None, callback=None, disable=None, eta=0.0):
    alphas_cumprod = model.inner_model.inner_model.alphas_cumprod
    alphas = alphas_cumprod[timesteps]
    alphas_prev = alphas_cumprod[torch.nn.functional.pad(timesteps[:-1], pad=(1, 0))].to(torch.float64)
    sqrt_one_minus_alphas = torch.sqrt(1 - alphas)
    sigmas = eta * np.sqrt((1 - alphas_prev.cpu().numpy()) / (1 - alphas.cpu()) * (1 - alphas.cpu() / alphas_prev.cpu().numpy()))

    model.cond_scale_miltiplier = 1 / 12.5
    model.need_last_noise_uncond = True

    extra_args = {} if extra_args is None else extra_args
    s_in = x.new_ones((x.shape[0]))
    s_x = x.new_ones((x.shape[0], 1, 1, 1))
    for i in range(len(timesteps) - 1):
        index = len(timesteps) - 1 - i

        e_t = model(x, timesteps[index].item() * s_in, **extra_args)
        last_noise_uncond = model.last_noise_uncond

        a_t = alphas[index].item() * s_x
        a_prev = alphas_prev[index].item() * s_x
        sigma_t = sigmas[index].item() * s_x
        sqrt_one_minus_at = sqrt_one_minus_alphas[index].item() * s_x

        pred_x0 = (x - sqrt_one_minus_at * e_t) / a_t.sqrt()
        dir_xt = (1. - a_prev - sigma_t ** 2).sqrt() * last_noise_uncond
        noise = sigma_t * torch.randn_like(x)
        x = a_prev.sqrt() * pred_x0 + dir_xt + noise

    return x


def a1111_plms(model, x, timesteps, extra_args=None, callback=None, disable=None):
    alphas_cumprod = model.inner_model.inner_model.alphas_cumprod
    alphas = alphas_cumprod[timesteps]
    alphas_prev = alphas_cumprod[torch.nn.functional.pad(timesteps[:-1], pad=(1, 0))].to(torch.float64)
    sqrt_one_minus_alphas = torch.sqrt(1 - alphas)

    extra_args = {} if extra_args is None else extra_args
    s_in = x.new_ones([x.shape[0]])
    s_x = x.new_ones((x.shape[0], 1, 1, 1))
    old_eps = []

    def get_x_prev_and_pred_x0(e_t, index):
        a_t = alphas[index].item() * s_x
        a_prev = alphas_prev[index].item() * s_x
        sqrt_one_minus_at = sqrt_one_minus_alphas[index].item() * s_x
        pred_x0 = (x - sqrt_one_minus_at * e_t) / a_t.sqrt()
        dir_xt = (1. - a_prev).sqrt() * e_t
        x_prev = a_prev.sqrt() * pred_x0 + dir_xt
        return x_prev, pred_x0

    for i in range(len(timesteps) - 1):
        index = len(timesteps) - 1 - i
        ts = timesteps[index].item() * s_in
        t_next = timesteps[max(index - 1, 0)].item() * s_in

        e_t = model(x, ts, **extra_args)

        if len(old_eps) == 0:
            x_prev, pred_x0 = get_x_prev_and_pred_x0(e_t, index)
            e_t_next = model(x_prev, t_next, **extra_args)
            e_t_prime = (e_t + e_t_next) / 2
        elif len(old_eps) == 1:
            e_t_prime = (3 * e_t - old_eps[-1]) / 2
        elif len(old_eps) == 2:
            e_t_prime = (23 * e_t - 16 * old_eps[-1] + 5 * old_eps[-2]) / 12
        else:
            e_t_prime = (55 * e_t - 59 * old_eps[-1] + 37 * old_eps[-2] - 9 * old_eps[-3]) / 24

        x_prev, pred_x0 = get_x_prev_and_pred_x0(e_t_prime, index)

        old_eps.append(e_t)
        if len(old_eps) >= 4:
            old_eps.pop(0)

        x = x_prev

    return x


# ---- UniPC (A1111's modules/models/diffusion/uni_pc/uni_pc.py): the discrete schedule, the bh
# update with data prediction, the multistep loop. ----

def interpolate_fn(x, xp, yp):
    N, K = x.shape[0], xp.shape[1]
    all_x = torch.cat([x.unsqueeze(2), xp.unsqueeze(0).repeat((N, 1, 1))], dim=2)
    sorted_all_x, x_indices = torch.sort(all_x, dim=2)
    x_idx = torch.argmin(x_indices, dim=2)
    cand_start_idx = x_idx - 1
    start_idx = torch.where(
        torch.eq(x_idx, 0),
        torch.tensor(1, device=x.device),
        torch.where(
            torch.eq(x_idx, K), torch.tensor(K - 2, device=x.device), cand_start_idx,
        ),
    )
    end_idx = torch.where(torch.eq(start_idx, cand_start_idx), start_idx + 2, start_idx + 1)
    start_x = torch.gather(sorted_all_x, dim=2, index=start_idx.unsqueeze(2)).squeeze(2)
    end_x = torch.gather(sorted_all_x, dim=2, index=end_idx.unsqueeze(2)).squeeze(2)
    start_idx2 = torch.where(
        torch.eq(x_idx, 0),
        torch.tensor(0, device=x.device),
        torch.where(
            torch.eq(x_idx, K), torch.tensor(K - 2, device=x.device), cand_start_idx,
        ),
    )
    y_positions_expanded = yp.unsqueeze(0).expand(N, -1, -1)
    start_y = torch.gather(y_positions_expanded, dim=2, index=start_idx2.unsqueeze(2)).squeeze(2)
    end_y = torch.gather(y_positions_expanded, dim=2, index=(start_idx2 + 1).unsqueeze(2)).squeeze(2)
    cand = start_y + (x - start_x) * (end_y - start_y) / (end_x - start_x)
    return cand


def expand_dims(v, dims):
    return v[(...,) + (None,) * (dims - 1)]


class NoiseScheduleVP:
    def __init__(self, schedule='discrete', alphas_cumprod=None):
        self.schedule = schedule
        log_alphas = 0.5 * torch.log(alphas_cumprod)
        self.total_N = len(log_alphas)
        self.T = 1.
        self.t_array = torch.linspace(0., 1., self.total_N + 1)[1:].reshape((1, -1))
        self.log_alpha_array = log_alphas.reshape((1, -1,))

    def marginal_log_mean_coeff(self, t):
        return interpolate_fn(t.reshape((-1, 1)), self.t_array.to(t.device), self.log_alpha_array.to(t.device)).reshape((-1))

    def marginal_alpha(self, t):
        return torch.exp(self.marginal_log_mean_coeff(t))

    def marginal_std(self, t):
        return torch.sqrt(1. - torch.exp(2. * self.marginal_log_mean_coeff(t)))

    def marginal_lambda(self, t):
        log_mean_coeff = self.marginal_log_mean_coeff(t)
        log_std = 0.5 * torch.log(1. - torch.exp(2. * log_mean_coeff))
        return log_mean_coeff - log_std


class UniPC:
    def __init__(self, model_fn, noise_schedule, predict_x0=True, thresholding=False, max_val=1., variant='bh1',
                 condition=None, unconditional_condition=None, before_sample=None, after_sample=None, after_update=None):
        self.model_fn_ = model_fn
        self.noise_schedule = noise_schedule
        self.variant = variant
        self.predict_x0 = predict_x0
        self.thresholding = thresholding
        self.max_val = max_val
        self.condition = condition
        self.unconditional_condition = unconditional_condition
        self.before_sample = before_sample
        self.after_sample = after_sample
        self.after_update = after_update

    def noise_prediction_fn(self, x, t):
        return self.model(x, t)

    def data_prediction_fn(self, x, t):
        noise = self.noise_prediction_fn(x, t)
        dims = x.dim()
        alpha_t, sigma_t = self.noise_schedule.marginal_alpha(t), self.noise_schedule.marginal_std(t)
        x0 = (x - expand_dims(sigma_t, dims) * noise) / expand_dims(alpha_t, dims)
        return x0

    def model_fn(self, x, t):
        return self.data_prediction_fn(x, t)

    def get_time_steps(self, skip_type, t_T, t_0, N, device):
        assert skip_type == 'time_uniform'
        return torch.linspace(t_T, t_0, N + 1).to(device)

    def multistep_uni_pc_update(self, x, model_prev_list, t_prev_list, t, order, **kwargs):
        if len(t.shape) == 0:
            t = t.view(-1)
        return self.multistep_uni_pc_bh_update(x, model_prev_list, t_prev_list, t, order, **kwargs)

    def multistep_uni_pc_bh_update(self, x, model_prev_list, t_prev_list, t, order, x_t=None, use_corrector=True):
        ns = self.noise_schedule
        assert order <= len(model_prev_list)
        dims = x.dim()

        t_prev_0 = t_prev_list[-1]
        lambda_prev_0 = ns.marginal_lambda(t_prev_0)
        lambda_t = ns.marginal_lambda(t)
        model_prev_0 = model_prev_list[-1]
        sigma_prev_0, sigma_t = ns.marginal_std(t_prev_0), ns.marginal_std(t)
        log_alpha_prev_0, log_alpha_t = ns.marginal_log_mean_coeff(t_prev_0), ns.marginal_log_mean_coeff(t)
        alpha_t = torch.exp(log_alpha_t)

        h = lambda_t - lambda_prev_0

        rks = []
        D1s = []
        for i in range(1, order):
            t_prev_i = t_prev_list[-(i + 1)]
            model_prev_i = model_prev_list[-(i + 1)]
            lambda_prev_i = ns.marginal_lambda(t_prev_i)
            rk = ((lambda_prev_i - lambda_prev_0) / h)[0]
            rks.append(rk)
            D1s.append((model_prev_i - model_prev_0) / rk)

        rks.append(1.)
        rks = torch.tensor(rks, device=x.device)

        R = []
        b = []

        hh = -h[0] if self.predict_x0 else h[0]
        h_phi_1 = torch.expm1(hh)
        h_phi_k = h_phi_1 / hh - 1

        factorial_i = 1

        if self.variant == 'bh1':
            B_h = hh
        elif self.variant == 'bh2':
            B_h = torch.expm1(hh)
        else:
            raise NotImplementedError()

        for i in range(1, order + 1):
            R.append(torch.pow(rks, i - 1))
            b.append(h_phi_k * factorial_i / B_h)
            factorial_i *= (i + 1)
            h_phi_k = h_phi_k / hh - 1 / factorial_i

        R = torch.stack(R)
        b = torch.tensor(b, device=x.device)

        use_predictor = len(D1s) > 0 and x_t is None
        if len(D1s) > 0:
            D1s = torch.stack(D1s, dim=1)
            if x_t is None:
                if order == 2:
                    rhos_p = torch.tensor([0.5], device=b.device)
                else:
                    rhos_p = torch.linalg.solve(R[:-1, :-1], b[:-1])
        else:
            D1s = None

        if use_corrector:
            if order == 1:
                rhos_c = torch.tensor([0.5], device=b.device)
            else:
                rhos_c = torch.linalg.solve(R, b)

        model_t = None
        x_t_ = (
            expand_dims(sigma_t / sigma_prev_0, dims) * x
            - expand_dims(alpha_t * h_phi_1, dims) * model_prev_0
        )

        if x_t is None:
            if use_predictor:
                pred_res = torch.einsum('k,bkchw->bchw', rhos_p, D1s)
            else:
                pred_res = 0
            x_t = x_t_ - expand_dims(alpha_t * B_h, dims) * pred_res

        if use_corrector:
            model_t = self.model_fn(x_t, t)
            if D1s is not None:
                corr_res = torch.einsum('k,bkchw->bchw', rhos_c[:-1], D1s)
            else:
                corr_res = 0
            D1_t = (model_t - model_prev_0)
            x_t = x_t_ - expand_dims(alpha_t * B_h, dims) * (corr_res + rhos_c[-1] * D1_t)
        return x_t, model_t

    def sample(self, x, steps=20, t_start=None, t_end=None, order=3, skip_type='time_uniform',
               method='singlestep', lower_order_final=True, denoise_to_zero=False, solver_type='dpm_solver',
               atol=0.0078, rtol=0.05, corrector=False):
        t_0 = 1. / self.noise_schedule.total_N if t_end is None else t_end
        t_T = self.noise_schedule.T if t_start is None else t_start
        device = x.device
        assert method == 'multistep'
        assert steps >= order, "UniPC order must be < sampling steps"
        timesteps = self.get_time_steps(skip_type=skip_type, t_T=t_T, t_0=t_0, N=steps, device=device)
        assert timesteps.shape[0] - 1 == steps
        with torch.no_grad():
            vec_t = timesteps[0].expand((x.shape[0]))
            model_prev_list = [self.model_fn(x, vec_t)]
            t_prev_list = [vec_t]
            for init_order in range(1, order):
                vec_t = timesteps[init_order].expand(x.shape[0])
                x, model_x = self.multistep_uni_pc_update(x, model_prev_list, t_prev_list, vec_t, init_order, use_corrector=True)
                if model_x is None:
                    model_x = self.model_fn(x, vec_t)
                if self.after_update is not None:
                    self.after_update(x, model_x)
                model_prev_list.append(model_x)
                t_prev_list.append(vec_t)
            for step in range(order, steps + 1):
                vec_t = timesteps[step].expand(x.shape[0])
                if lower_order_final:
                    step_order = min(order, steps + 1 - step)
                else:
                    step_order = order
                if step == steps:
                    use_corrector = False
                else:
                    use_corrector = True
                x, model_x = self.multistep_uni_pc_update(x, model_prev_list, t_prev_list, vec_t, step_order, use_corrector=use_corrector)
                if self.after_update is not None:
                    self.after_update(x, model_x)
                for i in range(order - 1):
                    t_prev_list[i] = t_prev_list[i + 1]
                    model_prev_list[i] = model_prev_list[i + 1]
                t_prev_list[-1] = vec_t
                if step < steps:
                    if model_x is None:
                        model_x = self.model_fn(x, vec_t)
                    model_prev_list[-1] = model_x
        return x


class UniPCCFG(UniPC):
    def __init__(self, cfg_model, extra_args, callback, *args, **kwargs):
        super().__init__(None, *args, **kwargs)
        self.cfg_model = cfg_model
        self.extra_args = extra_args

    def get_model_input_time(self, t_continuous):
        return (t_continuous - 1. / self.noise_schedule.total_N) * 1000.

    def model(self, x, t):
        t_input = self.get_model_input_time(t)
        return self.cfg_model(x, t_input, **self.extra_args)


# A1111's options: uni_pc_variant "bh1", uni_pc_skip_type "time_uniform", uni_pc_order 3,
# uni_pc_lower_order_final True.
def a1111_unipc(model, x, timesteps, extra_args=None, callback=None, disable=None, is_img2img=False):
    alphas_cumprod = model.inner_model.inner_model.alphas_cumprod

    ns = NoiseScheduleVP('discrete', alphas_cumprod=alphas_cumprod)
    t_start = timesteps[-1] / 1000 + 1 / 1000 if is_img2img else None
    unipc_sampler = UniPCCFG(model, extra_args, callback, ns, predict_x0=True, thresholding=False, variant='bh1')
    x = unipc_sampler.sample(x, steps=len(timesteps), t_start=t_start, skip_type='time_uniform', method="multistep",
                             order=3, lower_order_final=True)
    return x


def a1111_timesteps(steps):
    """CompVisSampler.get_timesteps."""
    return torch.clip(torch.asarray(list(range(0, 1000, 1000 // steps))) + 1, 0, 999)


# ---- The model: the toy denoiser's posterior in eps-space, conditional and unconditional ----

MU_COND, MU_UNCOND = 0.3, -0.2


def alphas_cumprod_sd():
    """LDM's register_schedule for SD: scaled-linear betas in float64, alphas_cumprod stored as float32."""
    betas = torch.linspace(0.00085 ** 0.5, 0.012 ** 0.5, 1000, dtype=torch.float64) ** 2
    return torch.tensor(np.cumprod(1. - betas.numpy(), axis=0), dtype=torch.float32)


class TimestepUNet:
    """An eps (or v) model at continuous timesteps: alphas_cumprod interpolated linearly at t."""

    def __init__(self, alphas_cumprod, v_prediction, coupled=False):
        self.alphas_cumprod, self.v_prediction = alphas_cumprod, v_prediction
        self.coupled = coupled  # each pixel's estimate also sees the image's mean, as a UNet sees its neighbours

    def alpha(self, t):
        low = t.floor().clamp(0, 998)
        a = self.alphas_cumprod.double()
        return (a[low.long()] + (t.double() - low) * (a[low.long() + 1] - a[low.long()])).float()

    def __call__(self, x, t, mu):
        a = self.alpha(t)[:, None, None, None]
        sigma = ((1 - a) / a).sqrt()
        x_k = x / a.sqrt()
        variance = sigma ** 2
        denoised = mu + S * S / (S * S + variance) * (x_k - mu) + 0.05 * torch.sin(3 * x_k) / (1 + variance)
        if self.coupled:
            denoised = denoised + 0.2 * x_k.mean(dim=(2, 3), keepdim=True) / (1 + variance)
        eps = (x_k - denoised) / sigma
        if not self.v_prediction:
            return eps
        return a.sqrt() * eps - (1 - a).sqrt() * denoised


class CfgDenoiser:
    """A1111's CFGDenoiserTimesteps around its CompVisTimestepsDenoiser / CompVisTimestepsVDenoiser:
    eps of both halves (a v model's converted at int(t)), combined at cond_scale * cond_scale_miltiplier."""

    def __init__(self, unet, cond_scale, init_latent=None, repaint=None):
        self.unet, self.cond_scale = unet, cond_scale
        self.cond_scale_miltiplier, self.need_last_noise_uncond, self.last_noise_uncond = 1.0, False, None
        self.calls = 0
        self.inner_model = types.SimpleNamespace(inner_model=types.SimpleNamespace(alphas_cumprod=unet.alphas_cumprod))
        # Inpainting: A1111's init_latent, nmask (1 = repaint) and mask (1 = keep).
        self.init_latent, self.nmask = init_latent, repaint
        self.mask = None if repaint is None else 1 - repaint

    def eps(self, x, t, mu):
        output = self.unet(x, t, mu)
        if not self.unet.v_prediction:
            return output
        a = self.unet.alphas_cumprod[t.to(torch.long)][:, None, None, None]  # A1111: t.to(torch.int)
        return a.sqrt() * output + (1 - a).sqrt() * x

    def __call__(self, x, t, **_):
        self.calls += 1
        if self.mask is not None:  # CFGDenoiserTimesteps' mask_before_denoising: apply_blend on the input
            x = x * self.nmask + self.init_latent * self.mask
        uncond, cond = self.eps(x, t, MU_UNCOND), self.eps(x, t, MU_COND)
        if self.need_last_noise_uncond:
            self.last_noise_uncond = torch.clone(uncond)
        return uncond + (cond - uncond) * (self.cond_scale * self.cond_scale_miltiplier)


def timestep_runs(x_t, x_0):
    """Each sampler over A1111's timesteps, txt2img from x_t and img2img of x_0 as CompVisSampler runs them."""
    alphas_cumprod = alphas_cumprod_sd()
    samplers = {'DDIM': a1111_ddim, 'DDIM CFG++': a1111_ddim_cfgpp, 'PLMS': a1111_plms, 'UniPC': a1111_unipc}
    runs = [('DDIM', 10, None, False), ('DDIM', 7, None, False), ('DDIM', 10, 0.6, False), ('DDIM', 10, None, True),
            ('DDIM CFG++', 10, None, False), ('DDIM CFG++', 10, 0.6, False), ('DDIM CFG++', 8, None, True),
            ('PLMS', 10, None, False), ('PLMS', 3, None, False), ('PLMS', 10, 0.6, False),
            ('UniPC', 10, None, False), ('UniPC', 7, None, False), ('UniPC', 3, None, False),
            ('UniPC', 10, 0.6, False), ('UniPC', 10, None, True)]
    cases = []
    for sampler, steps, strength, v_prediction in runs:
        model = CfgDenoiser(TimestepUNet(alphas_cumprod, v_prediction), cond_scale=7.5)
        timesteps = a1111_timesteps(steps)
        extra = {'extra_args': {}}  # A1111's sampler_extra_args: the conds, held by CfgDenoiser here
        if strength is None:
            x = x_t
        else:  # CompVisSampler.sample_img2img with img2img_fix_steps off
            t_enc = int(min(strength, 0.999) * steps)
            a = alphas_cumprod[timesteps[t_enc]]
            x = x_0 * torch.sqrt(a) + x_t * torch.sqrt(1 - a)
            timesteps = timesteps[:t_enc]
            if sampler == 'UniPC':
                extra['is_img2img'] = True
        final = samplers[sampler](model, x, timesteps, **extra)
        name = f'{sampler} ({steps} steps' + (f', img2img {strength}' if strength else '') + (', v' if v_prediction else '') + ')'
        cases.append({'sampler': sampler, 'name': name, 'steps': steps, 'strength': strength or 0,
                      'v_prediction': v_prediction, 'cfg_scale': model.cond_scale, 'calls': model.calls,
                      'final': final.flatten().tolist()})
    return {'alphas_cumprod': alphas_cumprod.tolist(), 'mu_cond': MU_COND, 'mu_uncond': MU_UNCOND,
            'x_0': x_0.flatten().tolist(), 'cases': cases, 'inpainting': inpainting_runs(x_t, x_0)}


# Which latent pixels an inpainting case repaints (1) and keeps (0), the same in both channels.
REPAINT = [[1., 1., 0.], [1., 0., 0.], [0., 0., 1.]]


def inpainting_runs(x_t, x_0):
    """img2img of x_0 with a latent mask as A1111 inpaints with its timestep samplers: each model
    call's input blended towards x_0 where kept (CFGDenoiserTimesteps), and the samples blended
    once more after (StableDiffusionProcessingImg2Img.sample)."""
    alphas_cumprod = alphas_cumprod_sd()
    samplers = {'DDIM': a1111_ddim, 'DDIM CFG++': a1111_ddim_cfgpp, 'PLMS': a1111_plms, 'UniPC': a1111_unipc}
    repaint = torch.tensor(REPAINT)[None, None]
    cases = []
    for sampler, steps, strength, v_prediction in [('DDIM', 10, 0.75, False), ('DDIM', 10, 0.6, True),
                                                   ('DDIM CFG++', 10, 0.75, False), ('PLMS', 10, 0.75, False),
                                                   ('UniPC', 10, 0.75, False), ('UniPC', 8, 1.0, False)]:
        model = CfgDenoiser(TimestepUNet(alphas_cumprod, v_prediction, coupled=True), 7.5, init_latent=x_0, repaint=repaint)
        timesteps = a1111_timesteps(steps)
        t_enc = int(min(strength, 0.999) * steps)
        a = alphas_cumprod[timesteps[t_enc]]
        x = x_0 * torch.sqrt(a) + x_t * torch.sqrt(1 - a)
        extra = {'is_img2img': True} if sampler == 'UniPC' else {}
        samples = samplers[sampler](model, x, timesteps[:t_enc], extra_args={}, **extra)
        final = samples * model.nmask + x_0 * model.mask
        cases.append({'sampler': sampler, 'name': f'{sampler} inpainting ({steps} steps, {strength}' + (', v)' if v_prediction else ')'),
                      'steps': steps, 'strength': strength, 'v_prediction': v_prediction, 'cfg_scale': model.cond_scale,
                      'calls': model.calls, 'final': final.flatten().tolist()})
    return {'repaint': REPAINT, 'cases': cases}


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
    x_0 = MU + S * torch.randn(shape)
    json.dump({'shape': shape, 'mu': MU, 's': S, 'x_T': x_t.flatten().tolist(),
               'noise': [n.flatten().tolist() for n in noise], 'cases': cases,
               'timesteps': timestep_runs(x_t, x_0)}, sys.stdout)


if __name__ == '__main__':
    main()
