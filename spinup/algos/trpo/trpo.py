"""Trust Region Policy Optimization (TRPO) and Natural Policy Gradient (NPG), with GAE-Lambda advantages."""

from __future__ import annotations

import time
from typing import Literal

import numpy as np
import torch
from torch.optim import Adam

from spinup.algos.networks import obs_storage_dtype
from spinup.algos.onpolicy import warn_if_no_episode_finished
from spinup.algos.trpo import core
from spinup.utils.checkpoint import ResumeCheckpoint
from spinup.utils.devices import resolve_device
from spinup.utils.logx import EpochLogger
from spinup.utils.mpi_pytorch import (
    mpi_avg_grads,
    mpi_avg_tensor,
    setup_pytorch_for_mpi,
    sync_params,
)
from spinup.utils.mpi_tools import mpi_avg, num_procs, proc_id
from spinup.utils.validation import ActorCritic, Device, EnvFn, Vectorization, check_arguments
from spinup.utils.vector_envs import final_observations, log_finished_episode, make_vector_env


def trpo(env_fn: EnvFn, actor_critic: ActorCritic = core.MLPActorCritic, ac_kwargs: dict = dict(),
         seed: int = 0, steps_per_epoch: int = 4000, epochs: int = 50, gamma: float = 0.99,
         delta: float = 0.01, vf_lr: float = 1e-3, train_v_iters: int = 80,
         damping_coeff: float = 0.1, cg_iters: int = 10, backtrack_iters: int = 10,
         backtrack_coeff: float = 0.8, lam: float = 0.97, max_ep_len: int = 1000,
         logger_kwargs: dict = dict(), save_freq: int = 10, algo: Literal["trpo", "npg"] = "trpo",
         resume: str | None = None, num_envs: int = 1,
        vectorization: Vectorization = "sync", device: Device = "cpu"):
    """Trust Region Policy Optimization, with GAE-Lambda for advantage estimation
    (or, with ``algo='npg'``, Natural Policy Gradient).

    Args:
        env_fn: A function that creates a copy of the environment (Gymnasium API). The
            environment must have a Box observation space (of any shape) and a Box or Discrete
            action space.
        actor_critic: The constructor of the actor-critic, called once as
            ``actor_critic(observation_space, action_space, **ac_kwargs)`` with the
            environment's spaces. It returns a ``torch.nn.Module`` of which TRPO uses only
            the following (tensors are float32; its ``state_dict`` is what is saved):

            - ``pi``: a module; ``pi(obs, act)`` takes observations ``[batch, *obs_shape]``
              and actions ``[batch, *act_shape]`` (for a Discrete space, action indices,
              ``[batch]``) and returns ``(dist, logp)``: the action distribution, a
              ``torch.distributions.Normal`` (diagonal Gaussian) or ``Categorical``, from which
              the KL divergence is computed in closed form, and the log-probabilities of
              ``act``, ``[batch]``. ``pi(obs)`` returns ``(dist, None)``.
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
        delta (float): The KL limit: the largest mean KL divergence between old and new policy
            an update may cause (the radius of the trust region). Typically 0.001 to 0.05.
            Default 0.01.
        vf_lr (float): Learning rate of the value function's Adam optimizer. Default 1e-3.
        train_v_iters (int): Number of gradient steps on the value function per epoch. Default 80.
        damping_coeff (float): beta in the damped Fisher-vector product ``(H + beta I) v``, for
            numerical stability; large enough to keep conjugate gradient stable, small enough not
            to change the step much (typically 0.01 to 0.1). Default 0.1.
        cg_iters (int): Conjugate gradient iterations to approximate ``H^-1 g``; more is more
            exact but slower (typically 10 to 20). Default 10.
        backtrack_iters (int): Maximum number of steps tried in the line search (TRPO only).
            Default 10.
        backtrack_coeff (float): How much each backtracking step shrinks the step, in (0, 1)
            (TRPO only). Default 0.8.
        lam (float): Lambda of GAE-Lambda, between 0 and 1 (typically 0.9 to 1). Default 0.97.
        max_ep_len (int): Maximum length of an episode; longer episodes are cut off and
            bootstrapped. Environments' own time limits also apply. Default 1000.
        logger_kwargs (dict): Keyword arguments for the :class:`~spinup.utils.logx.EpochLogger`.
        save_freq (int): Save the model every ``save_freq`` epochs (and after the last one).
        algo (str): ``'trpo'`` (natural gradient step with backtracking line search) or
            ``'npg'`` (the full natural gradient step, unchecked). Default ``'trpo'``.
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
    DeltaLossV, KL, BacktrackIters (TRPO only: the accepted step of the line search, or
    ``backtrack_iters`` if it failed and the old policy was kept), Time. KL is the analytic mean
    KL between the policies before and after the update.

    Every argument is checked before anything is written, against its type hint and the ranges
    stated above (one table for all algorithms, ``spinup.utils.validation.RANGES``: e.g.
    ``epochs >= 1``, ``steps_per_epoch >= 1``, ``0 < gamma <= 1``, learning rates ``> 0``,
    ``0 <= lam <= 1``, ``delta > 0``, ``0 < backtrack_coeff < 1``). A bad value raises
    ``InvalidValue`` (a ``ValueError``) or ``InvalidType`` (a ``TypeError``) naming the
    argument. Values must already have their type (``epochs='10'`` is refused); the command line
    converts what it reads.
    """
    check_arguments(trpo, locals())  # types and ranges, before anything is written
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

    # Set up function for computing TRPO policy loss: the negated surrogate advantage
    def compute_loss_pi(data):
        obs, act, adv, logp_old = data["obs"], data["act"], data["adv"], data["logp"]
        _, logp = ac.pi(obs, act)
        return -core.surrogate_advantage(logp, logp_old, adv)

    # Set up function for computing the mean KL from the policy that collected the data
    def compute_kl(data, pi_old):
        pi, _ = ac.pi(data["obs"])
        return core.mean_kl(pi_old, pi)

    # Set up function for computing value loss
    def compute_loss_v(data):
        return ((ac.v(data["obs"]) - data["ret"]) ** 2).mean()

    # Set up optimizer for value function (the policy moves by natural gradient steps)
    vf_optimizer = Adam(ac.v.parameters(), lr=vf_lr)
    pi_params = list(ac.pi.parameters())

    # Set up model saving
    logger.setup_pytorch_saver(ac, ac_kwargs)

    def update():
        data = buf.get()
        with torch.no_grad():
            pi_old, _ = ac.pi(data["obs"])  # the policy that collected the data, held fixed

        # Get loss values before update
        loss_pi = compute_loss_pi(data)
        pi_l_old = mpi_avg(loss_pi.item())
        with torch.no_grad():  # for the log only
            v_l_old = compute_loss_v(data).item()

        # The policy gradient g, and Fisher-vector products Hv (both averaged across processes)
        g = mpi_avg_tensor(core.flat_grad(loss_pi, pi_params))
        kl_grad = core.flat_grad(compute_kl(data, pi_old), pi_params, create_graph=True)

        def Hx(v):
            return mpi_avg_tensor(core.fisher_vector_product(kl_grad, pi_params, v, damping_coeff))

        # Core calculations for TRPO or NPG: x = H^-1 g by conjugate gradient, scaled so that
        # the quadratic model of the KL equals delta
        x = core.conjugate_gradient(Hx, g, cg_iters)
        full_step = core.natural_step_size(x, Hx(x), delta) * x
        theta_old = core.flat_params(pi_params)

        def set_and_eval(theta):
            core.set_flat_params(pi_params, theta)
            with torch.no_grad():
                return mpi_avg(compute_loss_pi(data).item()), mpi_avg(compute_kl(data, pi_old).item())

        if algo == "npg":
            # NPG takes the full natural gradient step
            pi_l_new, kl = set_and_eval(theta_old - full_step)
        else:
            # TRPO backtracks until the step keeps the KL within delta and improves the surrogate
            j, pi_l_new, kl = core.backtracking_line_search(set_and_eval, theta_old, full_step, pi_l_old, delta,
                                                            backtrack_coeff, backtrack_iters, log=logger.log)
            logger.store(BacktrackIters=j)

        # Value function learning
        loss_v = torch.as_tensor(v_l_old)  # stays the same if train_v_iters is 0 (exercise 2.1)
        for _ in range(train_v_iters):
            vf_optimizer.zero_grad()
            loss_v = compute_loss_v(data)
            loss_v.backward()
            mpi_avg_grads(ac.v)  # average grads across MPI processes
            vf_optimizer.step()

        # Log changes from update
        logger.store(LossPi=pi_l_old, LossV=v_l_old, KL=kl,
                     DeltaLossPi=pi_l_new - pi_l_old, DeltaLossV=loss_v.item() - v_l_old)

    # Prepare for interaction with the environment. Several copies carry their episodes over from
    # one epoch to the next (a copy's share of an epoch is often shorter than an episode); one
    # copy starts new episodes at every epoch, as the original did, so its runs are unchanged
    carry_over = num_envs > 1
    obs, _ = envs.reset(seed=seed)  # copy i is seeded with seed + i
    ep_ret, ep_len = np.zeros(num_envs), np.zeros(num_envs, dtype=np.int64)

    # Continue a stopped run (with several copies, their episodes in progress too), or start a new one
    checkpoint = ResumeCheckpoint(logger, algo, envs, dict(ac=ac, vf_optimizer=vf_optimizer))
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
        logger.log_tabular("KL", average_only=True)
        if algo == "trpo":
            logger.log_tabular("BacktrackIters", average_only=True)
        logger.log_tabular("Time", time.time() - start_time)
        logger.dump_tabular()

        # Everything needed to continue from here, written after the epoch's row
        checkpoint.save(epoch + 1, start_time, (obs, ep_ret, ep_len) if carry_over else None)

    return ac
