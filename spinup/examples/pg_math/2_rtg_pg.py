"""The reward-to-go policy gradient, to be read next to the docs' "Intro to Policy Optimization".

The same as ``1_simple_pg.py`` except for the weights: an action's log-probability is weighted
only by the rewards that came after it (actions cannot change the past), which gives a gradient
estimate with the same mean and less variance:

    grad J(pi_theta) ~= 1/|D| sum_{tau in D} sum_t grad log pi_theta(a_t|s_t) sum_{t'>=t} r_t'.

Run it with:  python spinup/examples/pg_math/2_rtg_pg.py --env CartPole-v1 --lr 0.01 [--render]
"""

import argparse

import gymnasium as gym
import numpy as np
import torch
import torch.nn as nn
from torch.distributions.categorical import Categorical
from torch.optim import Adam

from spinup.algos.networks import mlp
from spinup.utils.envs import check_env_id
from spinup.utils.errors import UserError


# reward-to-go
def reward_to_go(rews):
    """rtg[t] = rews[t] + rews[t+1] + ... + rews[-1]: the sum of rewards from step t to the end."""
    return np.cumsum(np.asarray(rews, dtype=np.float64)[::-1])[::-1].copy()


def train(env_name="CartPole-v1", hidden_sizes=[32], lr=1e-2, epochs=50, batch_size=5000,
          render=False, seed=0):
    """Train a categorical policy with the reward-to-go policy gradient; return each epoch's mean
    episode return. ``batch_size`` is the least number of environment steps per epoch (whole
    episodes are collected); ``render`` shows the first episode of every epoch on screen."""
    torch.manual_seed(seed)
    check_env_id(env_name)
    env = gym.make(env_name)
    if not isinstance(env.observation_space, gym.spaces.Box) or not isinstance(env.action_space, gym.spaces.Discrete):
        raise UserError(f"This example needs vector observations and discrete actions; {env_name} has "
                        f"{env.observation_space} and {env.action_space}. Try CartPole-v1 or LunarLander-v3.")
    screen_env = gym.make(env_name, render_mode="human") if render else None
    obs_dim, n_acts = int(np.prod(env.observation_space.shape)), int(env.action_space.n)

    # make core of policy network
    logits_net = mlp([obs_dim, *hidden_sizes, n_acts], activation=nn.Tanh)

    # make function to compute action distribution
    def get_policy(obs):
        return Categorical(logits=logits_net(obs))

    # make action selection function
    def get_action(obs):
        return get_policy(obs).sample().item()

    # make loss function whose gradient, for the right data, is policy gradient
    def compute_loss(obs, act, weights):
        logp = get_policy(obs).log_prob(act)
        return -(logp * weights).mean()

    # make optimizer
    optimizer = Adam(logits_net.parameters(), lr=lr)

    # for training policy
    def train_one_epoch():
        batch_obs, batch_acts = [], []    # the states seen and the actions taken
        batch_weights = []                # the reward-to-go of every step
        batch_rets, batch_lens = [], []   # for reporting
        play_env = screen_env or env      # with --render, the first episode plays on screen
        (obs, _), ep_rews = play_env.reset(), []
        while True:
            batch_obs.append(obs.copy())
            with torch.no_grad():
                act = get_action(torch.as_tensor(obs, dtype=torch.float32))
            obs, rew, terminated, truncated, _ = play_env.step(act)
            batch_acts.append(act)
            ep_rews.append(rew)
            # With no value function there is nothing to bootstrap: a time-limit truncation
            # ends the trajectory just like termination; rewards-to-go sum what was collected.
            if terminated or truncated:
                ep_ret, ep_len = sum(ep_rews), len(ep_rews)
                batch_rets.append(ep_ret)
                batch_lens.append(ep_len)
                # the weight for each log-prob log pi(a_t|s_t) is the reward-to-go from t
                batch_weights += list(reward_to_go(ep_rews))
                if len(batch_obs) >= batch_size:
                    break
                play_env = env
                (obs, _), ep_rews = play_env.reset(), []

        # one policy gradient step on the whole batch
        optimizer.zero_grad()
        batch_loss = compute_loss(obs=torch.as_tensor(np.array(batch_obs), dtype=torch.float32),
                                  act=torch.as_tensor(batch_acts, dtype=torch.int64),
                                  weights=torch.as_tensor(batch_weights, dtype=torch.float32))
        batch_loss.backward()
        optimizer.step()
        return batch_loss.item(), batch_rets, batch_lens

    for e in (env, screen_env):
        if e is not None:
            e.reset(seed=seed)
    history = []
    for i in range(epochs):
        batch_loss, batch_rets, batch_lens = train_one_epoch()
        print(f"epoch: {i:3d} \t loss: {batch_loss:.3f} \t return: {np.mean(batch_rets):.3f} \t "
              f"ep_len: {np.mean(batch_lens):.3f}", flush=True)
        history.append(float(np.mean(batch_rets)))
    return history


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env_name", "--env", type=str, default="CartPole-v1")
    parser.add_argument("--render", action="store_true", help="show the first episode of each epoch")
    parser.add_argument("--lr", type=float, default=1e-2)
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print("\nUsing reward-to-go formulation of policy gradient.\n")
    try:
        train(env_name=args.env_name, render=args.render, lr=args.lr, epochs=args.epochs, seed=args.seed)
    except UserError as e:
        raise SystemExit(f"Error: {e}") from None
