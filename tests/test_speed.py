"""Every device of the speed seam (spinup/utils/speed.py) against the plain code it stands for.

If a torch or Gymnasium upgrade changes a private call these rely on, a test here fails and
names it; the fix is then in speed.py alone.
"""

from copy import deepcopy

import gymnasium as gym
import numpy as np
import pytest
import torch
import torch.nn as nn

from spinup.algos.networks import mlp
from spinup.utils import speed

# ---------------------------------------------------------------------------------------------
# Tanh


def test_tanh_is_nn_tanh():
    x = torch.linspace(-12, 12, 4001, dtype=torch.float32).reshape(1, -1)
    torch.testing.assert_close(speed.Tanh()(x), torch.tanh(x), atol=3e-7, rtol=0)


def test_tanh_gradients_are_nn_tanh_gradients():
    x = torch.randn(64, 32, dtype=torch.float64, requires_grad=True)
    g = torch.randn(64, 32, dtype=torch.float64)
    (ours,) = torch.autograd.grad(speed.Tanh()(x), x, g, create_graph=True)
    (plain,) = torch.autograd.grad(torch.tanh(x), x, g, create_graph=True)
    torch.testing.assert_close(ours, plain)
    # twice differentiable (TRPO differentiates the KL's gradient again)
    torch.testing.assert_close(torch.autograd.grad(ours.sum(), x)[0], torch.autograd.grad(plain.sum(), x)[0])


def test_faster_activation():
    assert speed.faster_activation(nn.Tanh) is speed.Tanh
    assert speed.faster_activation(nn.ReLU) is nn.ReLU


# ---------------------------------------------------------------------------------------------
# Whole lists of parameters


def test_lerp_is_a_loop_of_lerp_exactly():
    torch.manual_seed(0)
    sources = [torch.randn(7, 5), torch.randn(5), torch.randn(3, 3)]
    targets = [torch.randn_like(s) for s in sources]
    expected = [t.clone().lerp_(s, 0.005) for t, s in zip(targets, sources)]
    speed.lerp_(targets, sources, 0.005)
    for t, e in zip(targets, expected):
        assert torch.equal(t, e)


def test_parameters_of_is_the_module_parameters_and_a_copy_has_its_own():
    net = mlp([3, 4, 2], nn.ReLU)
    params = speed.parameters_of(net)
    assert params == list(net.parameters()) and speed.parameters_of(net) is params
    copy = deepcopy(net)
    assert all(a is b for a, b in zip(speed.parameters_of(copy), copy.parameters()))
    assert not any(a is b for a, b in zip(speed.parameters_of(copy), params))


def test_fused_adam_is_torch_adam_exactly():
    """FusedAdam's direct kernel call gives torch's Adam(fused=True) bit for bit, also after a
    state_dict round trip (resumed runs)."""
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(5, 16), nn.ReLU(), nn.Linear(16, 2))
    net2 = deepcopy(net)
    ref, ours = torch.optim.Adam(net.parameters(), lr=1e-2, fused=True), speed.FusedAdam(net2.parameters(), lr=1e-2)
    x = torch.randn(32, 5)
    for i in range(12):
        for n, opt in ((net, ref), (net2, ours)):
            opt.zero_grad()
            n(x * (i + 1)).pow(2).mean().backward()
            opt.step()
        if i == 5:
            ours.load_state_dict(deepcopy(ours.state_dict()))
    for p, q in zip(net.parameters(), net2.parameters(), strict=True):
        assert torch.equal(p, q)
    assert torch.equal(ref.state_dict()["state"][0]["exp_avg_sq"], ours.state_dict()["state"][0]["exp_avg_sq"])
    assert ref.state_dict()["state"][0]["step"] == ours.state_dict()["state"][0]["step"]


# ---------------------------------------------------------------------------------------------
# The ensemble


def test_ensemble_mlp_equals_separate_mlps():
    torch.manual_seed(0)
    ens = speed.EnsembleMLP(2, [5, 7, 3], nn.ReLU)
    x = torch.randn(4, 5)
    out = ens(x)
    assert out.shape == (2, 4, 3)
    l0, l1 = ens.layers
    for i in range(2):
        h = torch.relu(x @ l0.weight[i] + l0.bias[i])
        torch.testing.assert_close(out[i], h @ l1.weight[i] + l1.bias[i])
    torch.testing.assert_close(ens(x, members=slice(0, 1))[0], out[0])


def test_ensemble_with_one_output_equals_its_matrix_product():
    torch.manual_seed(0)
    ens = speed.EnsembleMLP(2, [5, 8, 1], nn.ReLU)
    x = torch.randn(6, 5)
    l0, l1 = ens.layers
    for i in range(2):
        h = torch.relu(x @ l0.weight[i] + l0.bias[i])
        torch.testing.assert_close(ens(x)[i], h @ l1.weight[i] + l1.bias[i])


# ---------------------------------------------------------------------------------------------
# Acting in NumPy


@pytest.mark.parametrize("activation", [nn.Tanh, speed.Tanh, nn.ReLU])
def test_numpy_mlp_is_the_torch_forward_pass(activation):
    torch.manual_seed(0)
    net = nn.Sequential(nn.Flatten(-2), mlp([6, 32, 32, 3], activation))
    fast = speed.NumpyMLP(net)
    assert fast.supported
    obs = torch.randn(2, 3)
    with torch.inference_mode():
        expected = net(obs.unsqueeze(0))[0].numpy()
    np.testing.assert_allclose(fast(speed.flat_float32(obs)), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(fast(speed.flat_float32(obs.numpy().astype(np.float64))), expected,
                               rtol=1e-5, atol=1e-6)


def test_flat_float32_shares_a_float32_tensor_and_converts_the_rest():
    t = torch.arange(6, dtype=torch.float32).reshape(2, 3)
    flat = speed.flat_float32(t)
    assert flat.dtype == np.float32 and flat.shape == (6,) and np.shares_memory(flat, t.numpy())
    grad = t.clone().requires_grad_(True)
    np.testing.assert_array_equal(speed.flat_float32(grad), flat)
    np.testing.assert_array_equal(speed.flat_float32(t.double()), flat)
    np.testing.assert_array_equal(speed.flat_float32([[0, 1, 2], [3, 4, 5]]), flat)


def test_numpy_view_follows_the_tensor_memory():
    p = nn.Parameter(torch.zeros(3))
    view = speed.NumpyView(p)
    with torch.no_grad():
        p.add_(1.0)
    np.testing.assert_array_equal(view(), np.ones(3, np.float32))
    p.data = torch.full((3,), 2.0)  # new memory: the view is rebuilt
    np.testing.assert_array_equal(view(), np.full(3, 2.0, np.float32))


def test_numpy_mlp_follows_optimizer_steps_and_copies():
    torch.manual_seed(0)
    net = mlp([3, 16, 2], nn.ReLU)
    fast, obs = speed.NumpyMLP(net), np.ones(3, np.float32)
    before = fast(obs).copy()
    opt = torch.optim.Adam(net.parameters(), lr=0.1, fused=True)
    net(torch.ones(1, 3)).sum().backward()
    opt.step()
    with torch.no_grad():
        np.testing.assert_allclose(fast(obs), net(torch.ones(1, 3))[0].numpy(), rtol=1e-5, atol=1e-6)
    assert not np.allclose(fast(obs), before)
    copy = deepcopy(net)  # its own weights, not views of the original's
    fast_copy = speed.NumpyMLP(copy)
    with torch.no_grad():
        copy[0].weight.add_(1.0)
    assert not np.allclose(fast_copy(obs), fast(obs))
    with torch.no_grad():
        net.load_state_dict(copy.state_dict())  # in place: the views see it
    np.testing.assert_allclose(fast(obs), fast_copy(obs))


def test_numpy_mlp_refuses_other_modules():
    assert not speed.NumpyMLP(nn.Sequential(nn.Linear(3, 3), nn.ELU(), nn.Linear(3, 1))).supported
    assert not speed.NumpyMLP(nn.Sequential(nn.Linear(3, 3, bias=False), nn.ReLU())).supported


def test_numpy_gaussian_sample_and_log_density():
    np.random.seed(0)
    mu, log_std = np.array([0.5, -1.0], np.float32), np.array([-0.5, 0.3], np.float32)
    acts, logps = zip(*(speed.sample_gaussian(mu, log_std) for _ in range(4000)))
    acts = np.array(acts)
    dist = torch.distributions.Normal(torch.as_tensor(mu), torch.as_tensor(log_std).exp())
    expected = dist.log_prob(torch.as_tensor(acts)).sum(-1).numpy()
    np.testing.assert_allclose(np.array(logps), expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(acts.mean(0), mu, atol=0.05)
    np.testing.assert_allclose(acts.std(0), np.exp(log_std), rtol=0.05)


def test_numpy_categorical_sample_and_log_probability():
    np.random.seed(0)
    logits = np.array([1.0, -0.5, 0.2, 2.0], np.float32)
    draws = [speed.sample_categorical(logits) for _ in range(20000)]
    probs = torch.softmax(torch.as_tensor(logits), -1).numpy()
    for act, logp in draws[:10]:
        assert logp == pytest.approx(float(np.log(probs[act])), abs=1e-6)
    counts = np.bincount([a for a, _ in draws], minlength=4) / len(draws)
    np.testing.assert_allclose(counts, probs, atol=0.01)


# ---------------------------------------------------------------------------------------------
# Gymnasium's TimeLimit counter


def test_time_limit_steps_reads_and_sets_the_counter():
    env = gym.make("CartPole-v1", max_episode_steps=10)  # the outermost wrapper is a TimeLimit
    env.reset(seed=0)
    for _ in range(3):
        env.step(0 if _ % 2 else 1)
    assert speed.time_limit_steps(env) == 3
    speed.set_time_limit_steps(env, 9)
    *_, terminated, truncated, _ = env.step(1)
    assert truncated and not terminated  # the 10th step of the episode: cut off by the limit
    assert speed.time_limit_steps(env.unwrapped) is None
