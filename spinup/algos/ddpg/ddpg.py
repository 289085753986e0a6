"""Deep Deterministic Policy Gradient (Lillicrap et al., 2016)."""

from __future__ import annotations

import random
import time
from copy import deepcopy

import numpy as np
import torch

from spinup.algos.ddpg import core
from spinup.algos.offpolicy import (
    frozen,
    make_replay_buffer,
    one_action_per_copy,
    polyak_update,
    run_test_episodes,
)
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


def ddpg(env_fn: EnvFn, actor_critic: ActorCritic = core.MLPActorCritic, ac_kwargs: dict = dict(),
         seed: int = 0, steps_per_epoch: int = 4000, epochs: int = 100, replay_size: int = int(1e6),
         gamma: float = 0.99, polyak: float = 0.995, pi_lr: float = 1e-3, q_lr: float = 1e-3,
         batch_size: int = 100, start_steps: int = 10000, update_after: int = 1000,
         update_every: int = 50, act_noise: float = 0.1, num_test_episodes: int = 10,
         max_ep_len: int = 1000, logger_kwargs: dict = dict(), save_freq: int = 1,
         save_buffer: bool = False, resume: str | None = None, num_envs: int = 1,
         vectorization: Vectorization = "sync", device: Device = "cpu"):
    """Deep Deterministic Policy Gradient (DDPG).

    DDPG learns a Q-function by regressing it toward ``core.ddpg_target`` on minibatches from a
    replay buffer, and a deterministic policy μ(s) by gradient ascent on Q(s, μ(s)). Slowly
    moving (polyak-averaged) copies of both networks give the targets.

    Args:
        env_fn: A function that creates a copy of the environment (Gymnasium API). The
            observation space must be a Box (of any shape) and the
            action space a Box with finite bounds (any bounds, per dimension). For discrete
            actions use DQN or SAC.
        actor_critic: The constructor of the actor-critic, called once as
            ``actor_critic(observation_space, action_space, **ac_kwargs)`` with the
            environment's spaces. It returns a ``torch.nn.Module`` (deep-copied for the target
            networks) of which DDPG uses only the following (tensors are float32; in batches,
            observations keep the space's shape,
            ``[batch, *obs_shape]``):

            - ``pi``: a module; ``pi(obs)`` maps observations ``[batch, *obs_shape]`` to actions
              within the action space's bounds, ``[batch, act_dim]``.
            - ``q``: a module; ``q(obs, act)`` returns Q-values, ``[batch]``.
            - ``act(obs)``: for a batch of observations ``[num_envs, *obs_shape]`` (one per
              environment copy), or one observation, without gradients, μ(s) as NumPy
              (``[num_envs, *act_shape]``, or the action space's shape); DDPG adds the
              exploration noise.

            Default :class:`spinup.algos.ddpg.core.MLPActorCritic`.
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
        pi_lr (float): Learning rate of the policy's Adam optimizer. Default 1e-3.
        q_lr (float): Learning rate of the Q-function's Adam optimizer. Default 1e-3.
        batch_size (int): Transitions per gradient step. Default 100.
        start_steps (int): For this many first steps, actions are drawn uniformly at random
            (``env.action_space.sample()``) for better exploration; the policy (plus noise)
            acts afterwards. Default 10000.
        update_after (int): Environment steps collected before the first gradient step, so
            that the buffer holds enough data. Default 1000.
        update_every (int): Every ``update_every`` environment steps, run ``update_every``
            gradient steps: one gradient step per environment step, in bursts. Changes only
            how updates are grouped (larger is a little faster). Default 50.
        act_noise (float): Standard deviation of the Gaussian exploration noise added to μ(s),
            as a fraction of half the action range of each dimension (so, in the action's own
            units when the bounds are ±1). Typically 0.1 to 0.3. Default 0.1.
        num_test_episodes (int): Episodes run with the deterministic policy on a separate test
            environment at the end of each epoch. Default 10.
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
    TotalEnvInteracts, AverageQVals, StdQVals, MaxQVals, MinQVals, LossPi, LossQ, Time.

    Every argument is checked before anything is written, against its type hint and the ranges
    stated above (one table for all algorithms, ``spinup.utils.validation.RANGES``: e.g.
    ``epochs >= 1``, ``steps_per_epoch >= 1``, ``0 < gamma <= 1``, learning rates ``> 0``,
    ``0 <= polyak <= 1``, ``batch_size <= replay_size``, ``act_noise >= 0``). A bad value raises
    ``InvalidValue`` (a ``ValueError``) or ``InvalidType`` (a ``TypeError``) naming the
    argument. Values must already have their type (``epochs='10'`` is refused); the command line
    converts what it reads.
    """
    check_arguments(ddpg, locals())  # types and ranges, before anything is written
    config = dict(locals())
    if resume is not None:
        logger_kwargs = dict(logger_kwargs, output_dir=resume)
    logger = EpochLogger(**logger_kwargs)
    logger.save_config(config)

    # Seed every source of randomness; `rng` draws replay batches and exploration noise
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)

    # Instantiate num_envs copies of the environment, and a separate one for test episodes
    device = resolve_device(device)
    envs, test_env = make_vector_env(env_fn, num_envs, vectorization, max_ep_len), env_fn()
    core.check_box_actions(envs.single_action_space, "DDPG")
    envs.single_action_space.seed(seed)
    test_env.action_space.seed(seed + 10000)
    test_env.reset(seed=seed + 10000)

    # Create the actor-critic module and its target networks (updated only by polyak averaging)
    ac = actor_critic(envs.single_observation_space, envs.single_action_space, **ac_kwargs).to(device)
    ac_targ = deepcopy(ac)
    ac_targ.requires_grad_(False)
    act_low, act_high = envs.single_action_space.low, envs.single_action_space.high
    act_noise_std = act_noise * (act_high - act_low) / 2

    # Count variables
    var_counts = tuple(sum(p.numel() for p in m.parameters()) for m in (ac.pi, ac.q))
    logger.log("\nNumber of parameters: \t pi: %d, \t q: %d\n" % var_counts)

    # Experience buffer
    replay_buffer = make_replay_buffer(envs, envs.single_action_space.shape, replay_size,
                                 device)

    # Set up function for computing DDPG Q-loss
    def compute_loss_q(data):
        obs, act, rew, next_obs, terminated = (
            data["obs"], data["act"], data["rew"], data["next_obs"], data["terminated"])
        q = ac.q(obs, act)
        with torch.no_grad():
            target = core.ddpg_target(rew, next_obs, terminated, ac_targ.pi, ac_targ.q, gamma)
        loss_q = ((q - target) ** 2).mean()
        return loss_q, dict(QVals=q.detach().cpu().numpy())

    # Set up function for computing DDPG pi loss
    def compute_loss_pi(data):
        obs = data["obs"]
        with frozen(ac.q):  # gradients flow through Q to the action, but Q is not being trained
            q_pi = ac.q(obs, ac.pi(obs))
        return -q_pi.mean()

    # Set up Adam optimizers for policy and Q-function (fused: speed.FusedAdam)
    pi_optimizer = FusedAdam(ac.pi.parameters(), lr=pi_lr)
    q_optimizer = FusedAdam(ac.q.parameters(), lr=q_lr)

    # Set up model saving
    logger.setup_pytorch_saver(ac, ac_kwargs)

    def update(data):
        # First run one gradient descent step for Q
        q_optimizer.zero_grad()
        loss_q, q_info = compute_loss_q(data)
        loss_q.backward()
        q_optimizer.step()

        # Next run one gradient descent step for pi
        pi_optimizer.zero_grad()
        loss_pi = compute_loss_pi(data)
        loss_pi.backward()
        pi_optimizer.step()

        # Finally, move the target networks toward the main ones
        polyak_update(ac, ac_targ, polyak)

        logger.store(LossQ=loss_q.item(), **q_info, LossPi=loss_pi.item())

    def get_action(obs, noise_std):
        act = ac.act(torch.as_tensor(obs, dtype=torch.float32, device=device))
        act = one_action_per_copy(act, num_envs, act_low.shape)
        act += noise_std * rng.standard_normal(act.shape)
        return np.clip(act, act_low, act_high)

    # Prepare for interaction with the environment
    total_steps = steps_per_epoch * epochs
    obs, _ = envs.reset(seed=seed)  # copy i is seeded with seed + i
    ep_ret, ep_len = np.zeros(num_envs), np.zeros(num_envs, dtype=np.int64)

    # Continue a stopped run (the episodes in progress included), or start a new one
    checkpoint = ResumeCheckpoint(logger, "ddpg", envs, dict(ac=ac, ac_targ=ac_targ, pi_optimizer=pi_optimizer,
                                  q_optimizer=q_optimizer), test_env=test_env, rng=rng,
                                  replay_buffer=replay_buffer, save_buffer=save_buffer)
    start_epoch, start_time, (obs, ep_ret, ep_len) = checkpoint.resume_or_start(resume, (obs, ep_ret, ep_len))
    if replay_buffer.size == 0:  # resumed without the buffer: refill it before updating again
        update_after += start_epoch * steps_per_epoch

    # Main loop: collect experience in env and update/log each epoch. Each pass steps every
    # copy once; t counts environment steps over all copies.
    for t in range(start_epoch * steps_per_epoch, total_steps, num_envs):
        # Until start_steps have elapsed, pick actions uniformly at random (for exploration);
        # afterwards, use the learned policy plus Gaussian noise
        if t >= start_steps:
            act = get_action(obs, act_noise_std)
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
        replay_buffer.store_batch(obs, act, rew, final_observations(next_obs, info, done), terminated, done)

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
            run_test_episodes(test_env, ac.act, num_test_episodes, max_ep_len, logger)

            # Log info about epoch
            logger.log_tabular("Epoch", epoch)
            logger.log_tabular("EpRet", with_min_and_max=True)
            logger.log_tabular("TestEpRet", with_min_and_max=True)
            logger.log_tabular("EpLen", average_only=True)
            logger.log_tabular("TestEpLen", average_only=True)
            logger.log_tabular("TotalEnvInteracts", t + num_envs)
            logger.log_tabular("QVals", with_min_and_max=True)
            logger.log_tabular("LossPi", average_only=True)
            logger.log_tabular("LossQ", average_only=True)
            logger.log_tabular("Time", time.time() - start_time)
            logger.dump_tabular()

            # Everything needed to continue from here, written after the epoch's row
            checkpoint.save(epoch, start_time, (obs, ep_ret, ep_len))

    return ac

