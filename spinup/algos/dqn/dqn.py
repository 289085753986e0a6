"""Deep Q-Network (Mnih et al., 2015), with optional Double DQN (van Hasselt et al., 2016)."""

from __future__ import annotations

import random
import time
from copy import deepcopy

import numpy as np
import torch
import torch.nn.functional as F

from spinup.algos.dqn import core
from spinup.algos.offpolicy import make_replay_buffer, one_action_per_copy, run_test_episodes
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


def dqn(env_fn: EnvFn, actor_critic: ActorCritic = core.MLPQNetwork, ac_kwargs: dict = dict(),
        seed: int = 0, steps_per_epoch: int = 4000, epochs: int = 50, replay_size: int = int(1e5),
        gamma: float = 0.99, lr: float = 1e-3, batch_size: int = 100, start_steps: int = 1000,
        update_after: int = 1000, update_every: int = 4, gradient_steps: int | None = None,
        target_update_every: int = 1000,
        eps_start: float = 1.0, eps_end: float = 0.05, eps_decay_steps: int = 10000,
        double: bool = False, huber_delta: float = 1.0, num_test_episodes: int = 10,
        max_ep_len: int = 1000, logger_kwargs: dict = dict(), save_freq: int = 1,
        save_buffer: bool = False, resume: str | None = None, num_envs: int = 1,
        vectorization: Vectorization = "sync", device: Device = "cpu"):
    """Deep Q-Network (DQN), for environments with discrete actions.

    DQN learns Q(s, a) for every action by regressing it toward the target
    y = r + γ (1 − d) max_a' Q_targ(s', a') (``core.dqn_target``) on minibatches drawn from a
    replay buffer, with a Huber loss. Q_targ is a copy of the network refreshed every
    ``target_update_every`` steps. The agent explores ε-greedily, with ε falling linearly
    (``core.epsilon_schedule``); test episodes act greedily. With ``double=True`` the target
    is Double DQN's (``core.double_dqn_target``).

    Args:
        env_fn: A function that creates a copy of the environment. Its observation space must
            be a Box (of any shape) and its action space Discrete. For
            continuous actions use SAC, TD3 or DDPG.
        actor_critic: The constructor of the Q-network, called once as
            ``actor_critic(observation_space, action_space, **ac_kwargs)`` with the
            environment's spaces. It returns a ``torch.nn.Module`` (deep-copied for the target
            network) of which DQN uses only the following (tensors are float32):

            - ``q_net(obs)``: maps observations, of shape ``[batch, *obs_shape]``, to the
              Q-values of every action, ``[batch, n_actions]``.
            - ``act(obs)``: for a batch of observations ``[num_envs, *obs_shape]`` (one per
              environment copy), without gradients, the greedy actions as int64 ``[num_envs]``
              (the Discrete space's ``start`` included); for one observation, an int. DQN adds
              the ε-greedy exploration.

            Default ``core.MLPQNetwork``.
        ac_kwargs (dict): Keyword arguments for ``actor_critic``, e.g.
            ``dict(hidden_sizes=(256, 256), activation=nn.ReLU)`` (the default).
        seed (int): Seed for the random number generators (Python, NumPy, torch, the
            environments and their action spaces).
        steps_per_epoch (int): Environment steps per epoch; the agent is tested, logged and
            saved at the end of each. Default 4000.
        epochs (int): Number of epochs. Default 50 (200,000 steps). CartPole-v1 balances for
            well over 100 steps within 2–5 epochs; LunarLander-v3 needs most of the default.
        replay_size (int): Capacity of the replay buffer (oldest transitions are overwritten).
            Default 1e5; 1e4–1e6 are common.
        gamma (float): Discount factor. Default 0.99; 0.95–0.999.
        lr (float): Adam learning rate of the Q-network. Default 1e-3; 1e-4–1e-3.
        batch_size (int): Transitions per gradient step. Default 100; 32–256.
        start_steps (int): For this many first steps, actions are drawn uniformly at random
            (pure exploration, whatever ε is). Default 1000.
        update_after (int): Number of steps collected before the first gradient step, so
            that the buffer holds enough data. Default 1000.
        update_every (int): Every ``update_every`` environment steps, run ``update_every``
            gradient steps: one gradient step per environment step overall, in bursts.
            Default 4; 1–50. This does not change the number of updates, only how they are
            grouped (larger is a little faster; smaller keeps the acting network fresher).
        gradient_steps (int): Gradient steps run every ``update_every`` environment steps, if
            not ``update_every``. Default None (``update_every``: one per environment step). The
            Nature DQN's Atari setting is ``update_every=4, gradient_steps=1``: a quarter of a
            gradient step per environment step.
        target_update_every (int): Every this many environment steps the target network
            becomes an exact copy of the Q-network (a hard update). Default 1000; 100–10000.
            Each copy lets values propagate one more step back in time, so a shorter period
            learns long horizons faster but less steadily (on CartPole-v1, 250 reached a test
            return of 500 within 40,000 steps where 1000 was still near 150).
        eps_start (float): ε at step 0. Default 1.0.
        eps_end (float): ε after ``eps_decay_steps`` steps, kept until the end. Default 0.05;
            0.01–0.1.
        eps_decay_steps (int): Steps over which ε falls linearly from ``eps_start`` to
            ``eps_end``. Default 10000; about 10–20% of the whole run is typical.
        double (bool): Use the Double DQN target (the online network picks the next action,
            the target network evaluates it), which curbs overestimation. Default False.
        huber_delta (float): The Huber loss is quadratic for TD errors below this size and
            linear above it, which bounds the gradient of large errors. Default 1.0.
        num_test_episodes (int): Greedy-policy episodes run on a separate test environment at
            the end of each epoch. Default 10.
        max_ep_len (int): Maximum length of an episode; longer episodes are cut off (and
            bootstrapped, like a time limit). Default 1000.
        logger_kwargs (dict): Keyword arguments for the EpochLogger.
        save_freq (int): Save the Q-network every ``save_freq`` epochs (and at the last).
            Default 1.
        save_buffer (bool): Also put the replay buffer into ``resume.pt`` each epoch, so that a
            resumed run is exactly the run that was never interrupted. Costs disk space (up to
            ``replay_size`` transitions). Default False: a resumed run starts with an empty
            buffer and refills it for ``update_after`` steps before updating again.
        resume (str): The folder of an earlier run of this algorithm to continue from its last
            finished epoch (its ``resume.pt``). Output goes on in that folder. Default None.
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
    TotalEnvInteracts, AverageQVals, StdQVals, MaxQVals, MinQVals, LossQ, Epsilon, Time.

    Every argument is checked before anything is written, against its type hint and the ranges
    stated above (one table for all algorithms, ``spinup.utils.validation.RANGES``: e.g.
    ``epochs >= 1``, ``steps_per_epoch >= 1``, ``0 < gamma <= 1``, learning rates ``> 0``,
    ``batch_size <= replay_size``, ``0 <= eps_end <= eps_start <= 1``, ``huber_delta > 0``). A
    bad value raises ``InvalidValue`` (a ``ValueError``) or ``InvalidType`` (a ``TypeError``)
    naming the argument. Values must already have their type (``epochs='10'`` is refused); the
    command line converts what it reads.
    """
    check_arguments(dqn, locals())  # types and ranges, before anything is written
    config = dict(locals())
    if resume is not None:
        logger_kwargs = dict(logger_kwargs, output_dir=resume)
    logger = EpochLogger(**logger_kwargs)
    logger.save_config(config)

    # Seed every source of randomness; `rng` draws replay batches and ε-greedy choices
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)

    # Instantiate num_envs copies of the environment, and a separate one for test episodes
    device = resolve_device(device)
    envs, test_env = make_vector_env(env_fn, num_envs, vectorization, max_ep_len), env_fn()
    core.check_discrete_actions(envs.single_action_space, "DQN")
    envs.single_action_space.seed(seed)
    test_env.action_space.seed(seed + 10000)
    test_env.reset(seed=seed + 10000)
    n_actions, act_start = int(envs.single_action_space.n), int(envs.single_action_space.start)

    # Create the Q-network and its target network (updated only by hard copies)
    q_net = actor_critic(envs.single_observation_space, envs.single_action_space, **ac_kwargs).to(device)
    q_targ = deepcopy(q_net)
    q_targ.requires_grad_(False)

    # Count variables
    logger.log("\nNumber of parameters: \t q: %d\n" % sum(p.numel() for p in q_net.parameters()))

    # Experience buffer (actions are stored as indices 0..n-1)
    replay_buffer = make_replay_buffer(envs, (), replay_size, device)

    # Set up function for computing the DQN loss: Huber loss of Q(s,a) against the target
    def compute_loss_q(data):
        obs, act, rew, next_obs, terminated = (
            data["obs"], data["act"], data["rew"], data["next_obs"], data["terminated"])
        q = q_net(obs).gather(1, act.unsqueeze(1)).squeeze(1)
        with torch.no_grad():
            next_q_targ = q_targ(next_obs)
            if double:
                target = core.double_dqn_target(rew, terminated, q_net(next_obs), next_q_targ, gamma)
            else:
                target = core.dqn_target(rew, terminated, next_q_targ, gamma)
        loss_q = F.huber_loss(q, target, delta=huber_delta)
        return loss_q, dict(QVals=q.detach().cpu().numpy())

    # Set up the Adam optimizer for the Q-network (fused: speed.FusedAdam)
    q_optimizer = FusedAdam(q_net.parameters(), lr=lr)

    # Set up model saving
    logger.setup_pytorch_saver(q_net, ac_kwargs)

    def update(data):
        q_optimizer.zero_grad()
        loss_q, q_info = compute_loss_q(data)
        loss_q.backward()
        q_optimizer.step()
        logger.store(LossQ=loss_q.item(), **q_info)

    def update_target():
        q_targ.load_state_dict(q_net.state_dict())  # θ_targ ← θ

    def get_action(obs, eps):
        act = q_net.act(torch.as_tensor(obs, dtype=torch.float32, device=device))  # greedy, per copy
        act = one_action_per_copy(act, num_envs, ())
        explore = rng.random(len(act)) < eps  # with probability ε, a random action instead
        act[explore] = rng.integers(n_actions, size=int(explore.sum())) + act_start
        return act

    # Prepare for interaction with the environment
    total_steps = steps_per_epoch * epochs
    obs, _ = envs.reset(seed=seed)  # copy i is seeded with seed + i
    ep_ret, ep_len = np.zeros(num_envs), np.zeros(num_envs, dtype=np.int64)

    # Continue a stopped run (the episodes in progress included), or start a new one
    checkpoint = ResumeCheckpoint(logger, "dqn", envs, dict(q_net=q_net, q_targ=q_targ, q_optimizer=q_optimizer),
                                  test_env=test_env, rng=rng, replay_buffer=replay_buffer, save_buffer=save_buffer)
    start_epoch, start_time, (obs, ep_ret, ep_len) = checkpoint.resume_or_start(resume, (obs, ep_ret, ep_len))
    if replay_buffer.size == 0:  # resumed without the buffer: refill it before updating again
        update_after += start_epoch * steps_per_epoch

    # Main loop: collect experience in env and update/log each epoch. Each pass steps every
    # copy once; t counts environment steps over all copies.
    for t in range(start_epoch * steps_per_epoch, total_steps, num_envs):
        # Until start_steps have elapsed, pick actions uniformly at random (for exploration);
        # afterwards, act ε-greedily with respect to Q, ε falling linearly
        if t >= start_steps:
            act = get_action(obs, core.epsilon_schedule(t, eps_start, eps_end, eps_decay_steps))
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

        # Update handling, for each of the num_envs env steps just taken (so the schedule does not
        # depend on num_envs): gradient_steps (default: update_every) gradient steps every
        # update_every env steps, and a hard copy into the target network every
        # target_update_every env steps
        for step in range(t, t + num_envs):
            if step >= update_after and step % update_every == 0:
                for _ in range(update_every if gradient_steps is None else gradient_steps):
                    update(data=replay_buffer.sample_batch(batch_size, rng))
            if (step + 1) % target_update_every == 0:
                update_target()

        # End of epoch handling
        if (t + num_envs) % steps_per_epoch == 0:
            epoch = (t + num_envs) // steps_per_epoch

            # Save model
            if (epoch % save_freq == 0) or (epoch == epochs):
                logger.save_state({"env": test_env}, epoch)

            # Test the performance of the greedy policy
            run_test_episodes(test_env, q_net.act, num_test_episodes, max_ep_len, logger)

            # Log info about epoch
            logger.log_tabular("Epoch", epoch)
            logger.log_tabular("EpRet", with_min_and_max=True)
            logger.log_tabular("TestEpRet", with_min_and_max=True)
            logger.log_tabular("EpLen", average_only=True)
            logger.log_tabular("TestEpLen", average_only=True)
            logger.log_tabular("TotalEnvInteracts", t + num_envs)
            logger.log_tabular("QVals", with_min_and_max=True)
            logger.log_tabular("LossQ", average_only=True)
            logger.log_tabular("Epsilon", core.epsilon_schedule(t + 1, eps_start, eps_end, eps_decay_steps))
            logger.log_tabular("Time", time.time() - start_time)
            logger.dump_tabular()

            # Everything needed to continue from here, written after the epoch's row
            checkpoint.save(epoch, start_time, (obs, ep_ret, ep_len))

    return q_net
