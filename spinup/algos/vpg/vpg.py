"""Vanilla Policy Gradient (with GAE-Lambda advantages and a learned value function baseline)."""

from __future__ import annotations

import time

import numpy as np
import torch
from torch.optim import Adam

from spinup.algos.networks import obs_storage_dtype
from spinup.algos.onpolicy import warn_if_no_episode_finished
from spinup.algos.vpg import core
from spinup.utils.checkpoint import ResumeCheckpoint
from spinup.utils.devices import resolve_device
from spinup.utils.logx import EpochLogger
from spinup.utils.mpi_pytorch import mpi_avg_grads, setup_pytorch_for_mpi, sync_params
from spinup.utils.mpi_tools import num_procs, proc_id
from spinup.utils.validation import ActorCritic, Device, EnvFn, Vectorization, check_arguments
from spinup.utils.vector_envs import final_observations, log_finished_episode, make_vector_env


def vpg(env_fn: EnvFn, actor_critic: ActorCritic = core.MLPActorCritic, ac_kwargs: dict = dict(),
        seed: int = 0, steps_per_epoch: int = 4000, epochs: int = 50, gamma: float = 0.99,
        pi_lr: float = 3e-4, vf_lr: float = 1e-3, train_v_iters: int = 80, lam: float = 0.97,
        max_ep_len: int = 1000, logger_kwargs: dict = dict(), save_freq: int = 10,
        resume: str | None = None, num_envs: int = 1,
        vectorization: Vectorization = "sync", device: Device = "cpu"):
    """Vanilla Policy Gradient, with GAE-Lambda for advantage estimation.

    Args:
        env_fn: A function that creates a copy of the environment (Gymnasium API). The
            environment must have a Box observation space (of any shape) and a Box or Discrete
            action space.
        actor_critic: The constructor of the actor-critic, called once as
            ``actor_critic(observation_space, action_space, **ac_kwargs)`` with the
            environment's spaces. It returns a ``torch.nn.Module`` of which VPG uses only
            the following (tensors are float32; its ``state_dict`` is what is saved):

            - ``pi``: a module; ``pi(obs, act)`` takes observations ``[batch, *obs_shape]``
              and actions ``[batch, *act_shape]`` (for a Discrete space, action indices,
              ``[batch]``) and returns ``(dist, logp)``: a ``torch.distributions``
              distribution (its ``entropy()`` is logged) and the log-probabilities of ``act``,
              ``[batch]``.
            - ``v``: a module; ``v(obs)`` returns value estimates, ``[batch]``.
            - ``step(obs)``: for a batch of observations ``[num_envs, *obs_shape]``, one per
              environment copy (on ``device``), without gradients, NumPy ``(a, v, logp_a)``,
              each with a leading dimension ``num_envs``: actions the vector environment
              accepts, V(s) and log π(a|s).

            ``act(obs)`` (a NumPy action for one observation) is not used in training; it is
            what ``spinup.load_policy`` and ``test_policy`` call. Default:
            :class:`spinup.algos.onpolicy.MLPActorCritic`.
        ac_kwargs (dict): Keyword arguments for ``actor_critic``, e.g.
            ``dict(hidden_sizes=(64, 64), activation=torch.nn.Tanh)``.
        seed (int): Seed for the random number generators (torch, numpy, the environment and its
            action space). Each MPI process adds ``10000 * rank``.
        steps_per_epoch (int): Environment steps per epoch, summed over all processes: the batch
            size of each update. Default 4000 (typically 1000 to 10000).
        epochs (int): Number of epochs (policy updates). Default 50.
        gamma (float): Discount factor, between 0 and 1 (typically 0.99 to 0.999).
        pi_lr (float): Learning rate of the policy's Adam optimizer (one step per epoch).
            Default 3e-4.
        vf_lr (float): Learning rate of the value function's Adam optimizer. Default 1e-3.
        train_v_iters (int): Number of gradient steps on the value function per epoch. Default 80.
        lam (float): Lambda of GAE-Lambda, between 0 and 1 (typically 0.9 to 1). Default 0.97.
        max_ep_len (int): Maximum length of an episode; longer episodes are cut off and
            bootstrapped. Environments' own time limits also apply. Default 1000.
        logger_kwargs (dict): Keyword arguments for the :class:`~spinup.utils.logx.EpochLogger`.
        save_freq (int): Save the model every ``save_freq`` epochs (and after the last one).
        resume (str): The folder of a stopped run of this experiment to continue from its last
            completed epoch. The run continues exactly as if it had never stopped.
        num_envs (int): Copies of the environment stepped together by each process (each step
            of the loop is ``num_envs`` environment steps, and ``steps_per_epoch`` counts them
            all; each process's share of it must be a multiple of ``num_envs``). Default 1.
        vectorization (str): How the copies run: ``'sync'`` (one after the other, in this
            process; default), ``'async'`` (a subprocess each) or ``'envpool'`` (EnvPool, where
            installed). See :mod:`spinup.utils.vector_envs`.
        device (str): Where the networks and their optimizers live: ``'cpu'`` (default;
            fastest for these small networks), ``'cuda'``, ``'mps'`` or ``'auto'``.

    Logged columns (``progress.txt``): Epoch, AverageEpRet, StdEpRet, MaxEpRet, MinEpRet, EpLen,
    AverageVVals, StdVVals, MaxVVals, MinVVals, TotalEnvInteracts, LossPi, LossV, DeltaLossPi,
    DeltaLossV, Entropy, KL, Time. KL and DeltaLossPi compare the policy after the epoch's step
    with the one before it.

    Every argument is checked before anything is written, against its type hint and the ranges
    stated above (one table for all algorithms, ``spinup.utils.validation.RANGES``: e.g.
    ``epochs >= 1``, ``steps_per_epoch >= 1``, ``0 < gamma <= 1``, learning rates ``> 0``,
    ``0 <= lam <= 1``, ``train_v_iters >= 0``). A bad value raises ``InvalidValue`` (a
    ``ValueError``) or ``InvalidType`` (a ``TypeError``) naming the argument. Values must
    already have their type (``epochs='10'`` is refused); the command line converts what it
    reads.
    """
    check_arguments(vpg, locals())  # types and ranges, before anything is written
    config = dict(locals())

    # Special function to avoid certain slowdowns from PyTorch + MPI combo.
    setup_pytorch_for_mpi()

    # Set up logger and save configuration (a resumed run continues in its own folder)
    if resume is not None:
        logger_kwargs = dict(logger_kwargs, output_dir=resume)
    logger = EpochLogger(**logger_kwargs)
    logger.save_config(config)

    # Random seed, different on each process
    seed += 10000 * proc_id()
    torch.manual_seed(seed)
    np.random.seed(seed)

    # Instantiate num_envs copies of the environment
    device = resolve_device(device)
    envs = make_vector_env(env_fn, num_envs, vectorization, max_ep_len)
    envs.single_action_space.seed(seed)
    obs_shape, act_shape = envs.single_observation_space.shape, envs.single_action_space.shape

    # Create actor-critic module, and start every process from the same weights
    ac = actor_critic(envs.single_observation_space, envs.single_action_space, **ac_kwargs).to(device)
    sync_params(ac)

    # Count variables
    var_counts = tuple(sum(p.numel() for p in m.parameters()) for m in (ac.pi, ac.v))
    logger.log(f"\nNumber of parameters: \t pi: {var_counts[0]}, \t v: {var_counts[1]}\n")

    # Set up experience buffer
    local_steps_per_epoch = steps_per_epoch // num_procs()
    buf = core.GAEBuffer(obs_shape, act_shape, local_steps_per_epoch, gamma, lam, num_envs, device,
                         obs_storage_dtype(envs.single_observation_space))

    # Set up function for computing VPG policy loss
    def compute_loss_pi(data):
        obs, act, adv, logp_old = data["obs"], data["act"], data["adv"], data["logp"]
        pi, logp = ac.pi(obs, act)
        loss_pi = -core.policy_gradient_objective(logp, adv)

        # Useful extra info
        kl = core.approx_kl(logp_old, logp).item()
        ent = pi.entropy().mean().item()
        return loss_pi, dict(kl=kl, ent=ent)

    # Set up function for computing value loss
    def compute_loss_v(data):
        return ((ac.v(data["obs"]) - data["ret"]) ** 2).mean()

    # Set up optimizers for policy and value function
    pi_optimizer = Adam(ac.pi.parameters(), lr=pi_lr)
    vf_optimizer = Adam(ac.v.parameters(), lr=vf_lr)

    # Set up model saving
    logger.setup_pytorch_saver(ac, ac_kwargs)

    def update():
        data = buf.get()

        # Get loss and info values before update (for the log only: no gradients)
        with torch.no_grad():
            pi_l_old, pi_info_old = compute_loss_pi(data)
            pi_l_old = pi_l_old.item()
            v_l_old = compute_loss_v(data).item()

        # Train policy with a single step of gradient descent
        pi_optimizer.zero_grad()
        loss_pi, _ = compute_loss_pi(data)
        loss_pi.backward()
        mpi_avg_grads(ac.pi)  # average grads across MPI processes
        pi_optimizer.step()

        # Value function learning
        loss_v = torch.as_tensor(v_l_old)  # stays the same if train_v_iters is 0 (exercise 2.1)
        for _ in range(train_v_iters):
            vf_optimizer.zero_grad()
            loss_v = compute_loss_v(data)
            loss_v.backward()
            mpi_avg_grads(ac.v)  # average grads across MPI processes
            vf_optimizer.step()

        # Log changes from update; KL and DeltaLossPi compare the policy after its step with the
        # one before (the original measured them before the step, so they were always ~0)
        with torch.no_grad():
            loss_pi, pi_info = compute_loss_pi(data)
        kl, ent = pi_info["kl"], pi_info_old["ent"]
        logger.store(LossPi=pi_l_old, LossV=v_l_old, KL=kl, Entropy=ent,
                     DeltaLossPi=loss_pi.item() - pi_l_old, DeltaLossV=loss_v.item() - v_l_old)

    # Prepare for interaction with the environment. Several copies carry their episodes over from
    # one epoch to the next (a copy's share of an epoch is often shorter than an episode); one
    # copy starts new episodes at every epoch, as the original did, so its runs are unchanged
    carry_over = num_envs > 1
    obs, _ = envs.reset(seed=seed)  # copy i is seeded with seed + i
    ep_ret, ep_len = np.zeros(num_envs), np.zeros(num_envs, dtype=np.int64)

    # Continue a stopped run (with several copies, their episodes in progress too), or start a new one
    checkpoint = ResumeCheckpoint(logger, "vpg", envs, dict(ac=ac, pi_optimizer=pi_optimizer, vf_optimizer=vf_optimizer))
    start_epoch, start_time, episode = checkpoint.resume_or_start(resume, (obs, ep_ret, ep_len) if carry_over else None)
    if carry_over:
        obs, ep_ret, ep_len = episode
    warned_short_share = False

    # Main loop: collect experience in env and update/log each epoch
    steps_per_copy = local_steps_per_epoch // num_envs
    for epoch in range(start_epoch, epochs):
        if not carry_over:
            obs, _ = envs.reset(seed=seed if epoch == 0 else None)
            ep_ret, ep_len = np.zeros(num_envs), np.zeros(num_envs, dtype=np.int64)
        finished_episodes = 0
        for t in range(steps_per_copy):  # each pass steps every copy once
            act, v, logp = ac.step(torch.as_tensor(obs, dtype=torch.float32, device=device))

            next_obs, rew, terminated, truncated, info = envs.step(act)
            ep_ret += rew
            ep_len += 1

            buf.store(obs, act, rew, v, logp)
            obs = next_obs

            done = terminated | truncated
            epoch_ended = t == steps_per_copy - 1
            if done.any() or epoch_ended:
                # Bootstrap from V(s_T) where a trajectory was cut off (time limit or end of epoch),
                # never where the episode really terminated. s_T is the copy's real last
                # observation: a copy that ended was already reset, and obs holds its new start.
                cut_off = ~terminated & (truncated | epoch_ended)
                last_val = np.zeros(num_envs)
                if cut_off.any():
                    last_obs = final_observations(next_obs, info, done)[cut_off]
                    _, last_val[cut_off], _ = ac.step(torch.as_tensor(last_obs, dtype=torch.float32, device=device))
                for i in np.flatnonzero(done | epoch_ended):
                    buf.finish_path(last_val[i], copy=i)
                    if done[i]:  # an Atari game: its real score, once the game is over
                        finished_episodes += log_finished_episode(logger, i, ep_ret[i], ep_len[i], info)
                        ep_ret[i], ep_len[i] = 0.0, 0

        warned_short_share = warn_if_no_episode_finished(logger, finished_episodes, local_steps_per_epoch,
                                                         warned_short_share, num_envs)

        # Update the policy and the value function on this epoch's experience
        logger.store(VVals=buf.val.reshape(-1))
        update()

        # Save model
        if (epoch % save_freq == 0) or (epoch == epochs - 1):
            logger.save_state({"env": envs}, epoch)

        # Log info about epoch
        logger.log_tabular("Epoch", epoch)
        logger.log_tabular("EpRet", with_min_and_max=True)
        logger.log_tabular("EpLen", average_only=True)
        logger.log_tabular("VVals", with_min_and_max=True)
        logger.log_tabular("TotalEnvInteracts", (epoch + 1) * local_steps_per_epoch * num_procs())
        logger.log_tabular("LossPi", average_only=True)
        logger.log_tabular("LossV", average_only=True)
        logger.log_tabular("DeltaLossPi", average_only=True)
        logger.log_tabular("DeltaLossV", average_only=True)
        logger.log_tabular("Entropy", average_only=True)
        logger.log_tabular("KL", average_only=True)
        logger.log_tabular("Time", time.time() - start_time)
        logger.dump_tabular()

        # Everything needed to continue from here, written after the epoch's row
        checkpoint.save(epoch + 1, start_time, (obs, ep_ret, ep_len) if carry_over else None)

    return ac
