"""Soft Actor-Critic (Haarnoja et al., 2018), with a fixed or learned entropy coefficient, and its
variant for discrete actions (Christodoulou, 2019)."""

from __future__ import annotations

import random
import time
from copy import deepcopy
from typing import Literal

import gymnasium as gym
import numpy as np
import torch

from spinup.algos.offpolicy import (
    frozen,
    make_replay_buffer,
    one_action_per_copy,
    polyak_update,
    run_test_episodes,
)
from spinup.algos.sac import core
from spinup.utils.checkpoint import ResumeCheckpoint
from spinup.utils.devices import resolve_device
from spinup.utils.logx import EpochLogger
from spinup.utils.speed import FusedAdam
from spinup.utils.validation import ActorCritic, Device, EnvFn, Vectorization, check_arguments
from spinup.utils.vector_envs import (
    final_observations,
    log_finished_episode,
    make_vector_env,
    random_actions,
)


def sac(env_fn: EnvFn, actor_critic: ActorCritic = core.MLPActorCritic, ac_kwargs: dict = dict(),
        seed: int = 0, steps_per_epoch: int = 4000, epochs: int = 100, replay_size: int = int(1e6),
        gamma: float = 0.99, polyak: float = 0.995, lr: float = 1e-3,
        alpha: float | Literal["auto"] = 0.2, target_entropy: float | None = None,
        batch_size: int = 100, start_steps: int = 10000, update_after: int = 1000,
        update_every: int = 50, num_test_episodes: int = 10, max_ep_len: int = 1000,
        logger_kwargs: dict = dict(), save_freq: int = 1, save_buffer: bool = False,
        resume: str | None = None, num_envs: int = 1,
        vectorization: Vectorization = "sync", device: Device = "cpu"):
    """Soft Actor-Critic (SAC).

    SAC learns a stochastic policy that maximises return plus α times its entropy. Two
    Q-functions regress toward the soft Bellman target ``core.sac_target`` (the smaller of the
    two target Q-values, minus α log π of the next action drawn from the current policy); the
    policy minimises E[α log π(ã|s) − min(Q1, Q2)(s, ã)] through a reparameterised, tanh-squashed
    Gaussian sample ã. Only the Q-functions have target networks (polyak-averaged).

    With a Discrete action space the same function runs discrete SAC: a categorical policy, Q
    networks with one output per action, and exact sums over the actions instead of samples
    (``core.discrete_sac_target``).

    Args:
        env_fn: A function that creates a copy of the environment (Gymnasium API). The
            observation space must be a Box (of any shape); the
            action space a Box with finite bounds (any bounds, per dimension) or Discrete.
        actor_critic: The constructor of the actor-critic, called once as
            ``actor_critic(observation_space, action_space, **ac_kwargs)`` with the
            environment's spaces. It returns a ``torch.nn.Module`` of which SAC uses only the
            following (tensors are float32; in batches, observations keep the space's
            shape, ``[batch, *obs_shape]``):

            - ``pi``: a module; ``pi(obs)`` returns ``(act, logp)``: actions sampled with the
              reparameterisation trick, within the bounds, ``[batch, act_dim]``, and their
              log-probabilities, ``[batch]``. For a Discrete action space ``pi.probs(obs)`` is
              used instead: ``(probs, logp_all)``, ``π(·|s)`` and ``log π(·|s)``, each
              ``[batch, n_actions]``.
            - ``q``: a module holding both Q-functions (deep-copied for the target networks);
              ``q(obs, act)`` returns ``(q1, q2)``, each ``[batch]``. For a Discrete action
              space ``act`` holds action indices, ``[batch]``, and ``q(obs)`` returns every
              action's values, ``(q1, q2)``, each ``[batch, n_actions]``.
            - ``act(obs, deterministic=False)``: for a batch of observations
              ``[num_envs, *obs_shape]`` (one per environment copy), without gradients, one
              action per row as NumPy (``[num_envs, *act_shape]``, or int64 ``[num_envs]`` of
              the Discrete space, its ``start`` included); for one observation (as the test
              episodes pass, with ``deterministic=True``: e.g. the mean action), one action.

            Default :class:`spinup.algos.sac.core.MLPActorCritic`.
        ac_kwargs (dict): Keyword arguments for ``actor_critic``, e.g.
            ``dict(hidden_sizes=(256, 256), activation=torch.nn.ReLU)`` (the default).
        seed (int): Seed for the random number generators (Python, NumPy, torch, the
            environments and their action spaces).
        steps_per_epoch (int): Environment steps per epoch; the agent is tested, logged and
            saved at the end of each. Default 4000.
        epochs (int): Number of epochs. Default 100.
        replay_size (int): Capacity of the replay buffer. Default 1e6.
        gamma (float): Discount factor, between 0 and 1 (typically 0.99). Default 0.99.
        polyak (float): ρ in θ_targ ← ρ θ_targ + (1 − ρ) θ, between 0 and 1, usually close to
            1 (0.995: the target moves 0.5% of the way each update). Default 0.995.
        lr (float): Learning rate of the Adam optimizers (policy, Q-functions, and α when it is
            learned). Default 1e-3.
        alpha (float or 'auto'): The entropy coefficient α, the weight of entropy against
            reward: a number (fixed; typically 0.01 to 0.5 for rewards of order 1) or ``'auto'``
            to learn it (starting from 1) so that the policy's entropy stays near
            ``target_entropy``. Default 0.2.
        target_entropy (float): The entropy that ``alpha='auto'`` aims for. Default None:
            −dim(A) for Box actions (Haarnoja et al., 2018b), and 0.5·log(n) for n discrete
            actions (half the entropy of the uniform policy; Christodoulou's 0.98·log(n) keeps
            the policy nearly uniform). Ignored when ``alpha`` is a number.
        batch_size (int): Transitions per gradient step. Default 100.
        start_steps (int): For this many first steps, actions are drawn uniformly at random
            (``envs.single_action_space.sample()``) for better exploration; the policy samples its
            actions afterwards. Default 10000.
        update_after (int): Environment steps collected before the first gradient step, so
            that the buffer holds enough data. Default 1000.
        update_every (int): Every ``update_every`` environment steps, run ``update_every``
            gradient steps: one gradient step per environment step, in bursts. Changes only
            how updates are grouped (larger is a little faster). Default 50.
        num_test_episodes (int): Episodes run with the deterministic policy (the mean action,
            or the most likely discrete action) on a separate test environment at the end of
            each epoch. Default 10.
        max_ep_len (int): Maximum length of an episode; longer episodes are cut off (and
            bootstrapped, like a time limit). Environments' own time limits also apply.
            Default 1000.
        logger_kwargs (dict): Keyword arguments for the :class:`~spinup.utils.logx.EpochLogger`.
        save_freq (int): Save the model every ``save_freq`` epochs (and after the last one).
            Default 1.
        save_buffer (bool): Also put the replay buffer into the resume checkpoint
            (``resume.pt``) at each epoch's end, so that a resumed run is exactly the run that was
            never stopped. It costs disk space: about 4·(2·obs_dim + act_dim + 2) bytes per stored
            transition, e.g. 168 MB for 1e6 HalfCheetah transitions. Default False: a resumed run
            starts with an empty buffer (and waits ``update_after`` steps before updating again),
            so its results differ from an uninterrupted run's.
        resume (str): The folder of a stopped run of this algorithm to continue after its last
            completed epoch (it holds ``resume.pt``); output continues in that folder.
        num_envs (int): Copies of the environment stepped together (each step of the loop is
            ``num_envs`` environment steps; every step count above counts them all, and the
            gradient steps per environment step stay the same). ``steps_per_epoch`` must be a
            multiple of it. Default 1.
        vectorization (str): How the copies run: ``'sync'`` (one after the other, in this
            process; default), ``'async'`` (a subprocess each) or ``'envpool'`` (EnvPool, where
            installed). See :mod:`spinup.utils.vector_envs`.
        device (str): Where the networks, optimizers and replay buffer live: ``'cpu'``
            (default; fastest for these small networks), ``'cuda'``, ``'mps'`` or ``'auto'``.

    Logged columns (``progress.txt``): Epoch, AverageEpRet, StdEpRet, MaxEpRet, MinEpRet,
    AverageTestEpRet, StdTestEpRet, MaxTestEpRet, MinTestEpRet, EpLen, TestEpLen,
    TotalEnvInteracts, AverageQ1Vals, StdQ1Vals, MaxQ1Vals, MinQ1Vals, AverageQ2Vals, StdQ2Vals,
    MaxQ2Vals, MinQ2Vals, AverageLogPi, StdLogPi, MaxLogPi, MinLogPi, LossPi, LossQ, Alpha,
    LossAlpha (when α is learned), Time. For discrete actions LogPi is the policy's expected
    log-probability Σ_a π(a|s) log π(a|s), i.e. minus its entropy.

    Every argument is checked before anything is written, against its type hint and the ranges
    stated above (one table for all algorithms, ``spinup.utils.validation.RANGES``: e.g.
    ``epochs >= 1``, ``steps_per_epoch >= 1``, ``0 < gamma <= 1``, learning rates ``> 0``,
    ``0 <= polyak <= 1``, ``batch_size <= replay_size``, ``alpha > 0`` or ``'auto'``). A bad
    value raises ``InvalidValue`` (a ``ValueError``) or ``InvalidType`` (a ``TypeError``) naming
    the argument. Values must already have their type (``epochs='10'`` is refused); the command
    line converts what it reads.
    """
    check_arguments(sac, locals())  # types and ranges, before anything is written
    config = dict(locals())
    if resume is not None:
        logger_kwargs = dict(logger_kwargs, output_dir=resume)
    logger = EpochLogger(**logger_kwargs)
    logger.save_config(config)

    # Seed every source of randomness; `rng` draws the replay batches
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)

    # Instantiate num_envs copies of the environment, and a separate one for test episodes
    device = resolve_device(device)
    envs, test_env = make_vector_env(env_fn, num_envs, vectorization, max_ep_len), env_fn()
    envs.single_action_space.seed(seed)
    test_env.action_space.seed(seed + 10000)
    test_env.reset(seed=seed + 10000)

    # Create the actor-critic module, and target networks for the Q-functions (updated only by
    # polyak averaging; SAC has no target policy)
    ac = actor_critic(envs.single_observation_space, envs.single_action_space, **ac_kwargs).to(device)
    q_targ = deepcopy(ac.q)
    q_targ.requires_grad_(False)

    # Count variables
    var_counts = tuple(sum(p.numel() for p in m.parameters()) for m in (ac.pi, ac.q))
    logger.log("\nNumber of parameters: \t pi: %d, \t q1 and q2: %d\n" % var_counts)

    # Experience buffer (a discrete action is stored as its index 0..n-1)
    discrete = isinstance(envs.single_action_space, gym.spaces.Discrete)
    act_start = int(envs.single_action_space.start) if discrete else 0
    replay_buffer = make_replay_buffer(envs, envs.single_action_space.shape, replay_size,
                                 device)

    # The entropy coefficient: fixed, or learned (as log α) toward the target entropy
    learn_alpha = core.check_alpha(alpha)
    if learn_alpha:
        if target_entropy is None:
            target_entropy = core.default_target_entropy(envs.single_action_space)
        entropy_coef = core.EntropyCoefficient(init=1.0).to(device)
        alpha_optimizer = FusedAdam(entropy_coef.parameters(), lr=lr)

    def current_alpha():
        return entropy_coef.log_alpha.exp().item() if learn_alpha else alpha

    # Set up function for computing SAC Q-losses
    def compute_loss_q(data, alpha):
        obs, act, rew, next_obs, terminated = (
            data["obs"], data["act"], data["rew"], data["next_obs"], data["terminated"])
        q1, q2 = ac.q(obs, act)
        with torch.no_grad():
            if discrete:
                target = core.discrete_sac_target(rew, next_obs, terminated, ac.pi.probs, q_targ, alpha, gamma)
            else:
                target = core.sac_target(rew, next_obs, terminated, ac.pi, q_targ, alpha, gamma)
        loss_q = ((q1 - target) ** 2).mean() + ((q2 - target) ** 2).mean()
        return loss_q, dict(Q1Vals=q1.detach().cpu().numpy(), Q2Vals=q2.detach().cpu().numpy())

    # Set up function for computing SAC pi loss; also returns log π for the α step and the log
    def compute_loss_pi(data, alpha):
        obs = data["obs"]
        if discrete:
            # The expectation over actions is an exact sum: Σ_a π(a|s) (α log π(a|s) − min Q(s, a))
            probs, logp_all = ac.pi.probs(obs)
            with torch.no_grad():
                q1_pi, q2_pi = ac.q(obs)
                q_pi = torch.min(q1_pi, q2_pi)
            loss_pi = (probs * (alpha * logp_all - q_pi)).sum(dim=-1).mean()
            logp_pi = (probs * logp_all).sum(dim=-1)
        else:
            act_pi, logp_pi = ac.pi(obs)
            with frozen(ac.q):  # gradients flow through Q to the action, but Q is not being trained
                q1_pi, q2_pi = ac.q(obs, act_pi)
                q_pi = torch.min(q1_pi, q2_pi)
            loss_pi = (alpha * logp_pi - q_pi).mean()
        return loss_pi, logp_pi.detach()

    # Set up optimizers for policy and Q-functions (fused Adam: speed.FusedAdam)
    pi_optimizer = FusedAdam(ac.pi.parameters(), lr=lr)
    q_optimizer = FusedAdam(ac.q.parameters(), lr=lr)

    # Set up model saving
    logger.setup_pytorch_saver(ac, ac_kwargs)

    def update(data):
        alpha = current_alpha()

        # First run one gradient descent step for Q1 and Q2
        q_optimizer.zero_grad()
        loss_q, q_info = compute_loss_q(data, alpha)
        loss_q.backward()
        q_optimizer.step()

        # Next run one gradient descent step for pi
        pi_optimizer.zero_grad()
        loss_pi, logp_pi = compute_loss_pi(data, alpha)
        loss_pi.backward()
        pi_optimizer.step()

        # Then one step for α, if it is learned
        if learn_alpha:
            alpha_optimizer.zero_grad()
            loss_alpha = core.alpha_loss(entropy_coef.log_alpha, logp_pi, target_entropy)
            loss_alpha.backward()
            alpha_optimizer.step()
            logger.store(LossAlpha=loss_alpha.item())

        # Finally, move the target Q-networks toward the main ones
        polyak_update(ac.q, q_targ, polyak)

        logger.store(LossQ=loss_q.item(), **q_info, LossPi=loss_pi.item(), LogPi=logp_pi.cpu().numpy())

    def get_action(obs):
        act = ac.act(torch.as_tensor(obs, dtype=torch.float32, device=device))  # sampled from the policy
        return one_action_per_copy(act, num_envs, envs.single_action_space.shape)

    # Prepare for interaction with the environment
    total_steps = steps_per_epoch * epochs
    obs, _ = envs.reset(seed=seed)  # copy i is seeded with seed + i
    ep_ret, ep_len = np.zeros(num_envs), np.zeros(num_envs, dtype=np.int64)

    # Continue a stopped run (the episodes in progress included), or start a new one
    modules = dict(ac=ac, q_targ=q_targ, pi_optimizer=pi_optimizer, q_optimizer=q_optimizer)
    if learn_alpha:
        modules.update(entropy_coef=entropy_coef, alpha_optimizer=alpha_optimizer)
    checkpoint = ResumeCheckpoint(logger, "sac", envs, modules, test_env=test_env, rng=rng,
                                  replay_buffer=replay_buffer, save_buffer=save_buffer)
    start_epoch, start_time, (obs, ep_ret, ep_len) = checkpoint.resume_or_start(resume, (obs, ep_ret, ep_len))
    if replay_buffer.size == 0:  # resumed without the buffer: refill it before updating again
        update_after += start_epoch * steps_per_epoch

    # Main loop: collect experience in env and update/log each epoch. Each pass steps every
    # copy once; t counts environment steps over all copies.
    for t in range(start_epoch * steps_per_epoch, total_steps, num_envs):
        # Until start_steps have elapsed, pick actions uniformly at random (for exploration);
        # afterwards, sample them from the policy
        if t >= start_steps:
            act = get_action(obs)
        else:
            act = random_actions(envs)

        # Step the env copies
        next_obs, rew, terminated, truncated, info = envs.step(act)
        ep_ret += rew
        ep_len += 1

        # Store experience to replay buffer. Only a real termination is stored as "done": a
        # time limit (truncated, or max_ep_len) still bootstraps from next_obs. A copy whose
        # episode ended was already reset: its real next_obs is the final one, from info
        done = terminated | truncated
        replay_buffer.store_batch(obs, act - act_start, rew, final_observations(next_obs, info, done), terminated, done)

        # Super critical, easy to overlook step: make sure to update most recent observation!
        obs = next_obs

        # End of trajectory handling (the copies that ended have been reset by envs.step); an
        # Atari game logs its real score once the game is over (vector_envs.log_finished_episode)
        for i in np.flatnonzero(done):
            log_finished_episode(logger, i, ep_ret[i], ep_len[i], info)
            ep_ret[i], ep_len[i] = 0.0, 0

        # Update handling: update_every gradient steps every update_every env steps (counting
        # each of the num_envs steps just taken, so the schedule does not depend on num_envs)
        for step in range(t, t + num_envs):
            if step >= update_after and step % update_every == 0:
                for _ in range(update_every):
                    update(data=replay_buffer.sample_batch(batch_size, rng))

        # End of epoch handling
        if (t + num_envs) % steps_per_epoch == 0:
            epoch = (t + num_envs) // steps_per_epoch

            # Save model
            if (epoch % save_freq == 0) or (epoch == epochs):
                logger.save_state({"env": test_env}, epoch)

            # Test the performance of the deterministic version of the agent
            run_test_episodes(test_env, lambda o: ac.act(o, deterministic=True), num_test_episodes, max_ep_len,
                              logger)

            # Log info about epoch
            logger.log_tabular("Epoch", epoch)
            logger.log_tabular("EpRet", with_min_and_max=True)
            logger.log_tabular("TestEpRet", with_min_and_max=True)
            logger.log_tabular("EpLen", average_only=True)
            logger.log_tabular("TestEpLen", average_only=True)
            logger.log_tabular("TotalEnvInteracts", t + num_envs)
            logger.log_tabular("Q1Vals", with_min_and_max=True)
            logger.log_tabular("Q2Vals", with_min_and_max=True)
            logger.log_tabular("LogPi", with_min_and_max=True)
            logger.log_tabular("LossPi", average_only=True)
            logger.log_tabular("LossQ", average_only=True)
            logger.log_tabular("Alpha", current_alpha())
            if learn_alpha:
                logger.log_tabular("LossAlpha", average_only=True)
            logger.log_tabular("Time", time.time() - start_time)
            logger.dump_tabular()

            # Everything needed to continue from here, written after the epoch's row
            checkpoint.save(epoch, start_time, (obs, ep_ret, ep_len))

    return ac
