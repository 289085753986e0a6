"""Given for exercise 1.3: the rest of TD3, a short training loop that calls your loss functions.
Nothing to fill in here. (spinup's full TD3 is ``spinup/algos/td3/td3.py``.)"""

import time
from copy import deepcopy

import numpy as np
import torch
from torch.optim import Adam

from spinup.algos.offpolicy import ReplayBuffer, polyak_update, run_test_episodes
from spinup.algos.td3.core import MLPActorCritic
from spinup.utils.envs import EnvFactory
from spinup.utils.logx import EpochLogger
from spinup.utils.run_folders import setup_logger_kwargs


def train_td3(compute_loss_q, compute_loss_pi, env_name="Pendulum-v1", seed=0, epochs=5,
              steps_per_epoch=2000, hidden_sizes=(64, 64), gamma=0.99, polyak=0.995, lr=1e-3,
              batch_size=100, start_steps=1000, update_after=1000, update_every=50, act_noise=0.1,
              target_noise=0.2, noise_clip=0.5, policy_delay=2, num_test_episodes=5):
    """Train TD3 with the given loss functions; return every epoch's average test return and the
    run's folder. Noise sizes are fractions of half the action range, as in spinup's TD3."""
    logger_kwargs = setup_logger_kwargs("ex1-3", seed, datestamp=True)
    logger = EpochLogger(**logger_kwargs)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    env, test_env = EnvFactory(env_name)(), EnvFactory(env_name)()
    env.action_space.seed(seed)
    test_env.reset(seed=seed + 10000)

    ac = MLPActorCritic(env.observation_space, env.action_space, hidden_sizes=hidden_sizes)
    ac_targ = deepcopy(ac)
    ac_targ.requires_grad_(False)
    pi_optimizer, q_optimizer = Adam(ac.pi.parameters(), lr=lr), Adam(ac.q.parameters(), lr=lr)
    act_low, act_high = env.action_space.low, env.action_space.high
    half_range = torch.as_tensor((act_high - act_low) / 2)
    loss_q_args = dict(gamma=gamma, target_noise=target_noise * half_range, noise_clip=noise_clip * half_range,
                       act_low=torch.as_tensor(act_low), act_high=torch.as_tensor(act_high))
    buffer = ReplayBuffer(env.observation_space.shape, env.action_space.shape, steps_per_epoch * epochs)

    def update(timer):
        data = buffer.sample_batch(batch_size, rng)
        noise = torch.randn_like(data["act"])
        q_optimizer.zero_grad()
        loss_q = compute_loss_q(ac, ac_targ, data, noise=noise, **loss_q_args)
        loss_q.backward()
        q_optimizer.step()
        logger.store(LossQ=loss_q.item())
        if timer % policy_delay == 0:  # delayed policy updates
            pi_optimizer.zero_grad()
            loss_pi = compute_loss_pi(ac, data)
            loss_pi.backward()
            pi_optimizer.step()
            logger.store(LossPi=loss_pi.item())
            polyak_update(ac, ac_targ, polyak)

    obs, _ = env.reset(seed=seed)
    ep_ret, ep_len, start_time, test_returns = 0.0, 0, time.time(), []
    for t in range(steps_per_epoch * epochs):
        if t >= start_steps:
            act = ac.act(obs) + act_noise * (act_high - act_low) / 2 * rng.standard_normal(act_low.shape)
            act = np.clip(act, act_low, act_high)
        else:
            act = env.action_space.sample()
        next_obs, rew, terminated, truncated, _ = env.step(act)
        buffer.store(obs, act, rew, next_obs, terminated)  # a time limit is not a terminal state
        obs, ep_ret, ep_len = next_obs, ep_ret + rew, ep_len + 1
        if terminated or truncated:
            logger.store(EpRet=ep_ret, EpLen=ep_len)
            (obs, _), ep_ret, ep_len = env.reset(), 0.0, 0
        if t >= update_after and t % update_every == 0:
            for j in range(update_every):
                update(j)
        if (t + 1) % steps_per_epoch == 0:
            run_test_episodes(test_env, ac.act, num_test_episodes, 1000, logger)
            test_returns.append(logger.get_stats("TestEpRet")[0])
            logger.log_tabular("Epoch", (t + 1) // steps_per_epoch)
            logger.log_tabular("EpRet", with_min_and_max=True)
            logger.log_tabular("TestEpRet", with_min_and_max=True)
            logger.log_tabular("TotalEnvInteracts", t + 1)
            logger.log_tabular("LossPi", average_only=True)
            logger.log_tabular("LossQ", average_only=True)
            logger.log_tabular("Time", time.time() - start_time)
            logger.dump_tabular()

    return test_returns, logger_kwargs["output_dir"]
