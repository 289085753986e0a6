"""Stable-Baselines3 at spinup's hyperparameters, logging into spinup's run-folder layout.

:func:`sb3_runner` is called like a spinup algorithm (``env_fn``, ``seed``, ``epochs``,
``steps_per_epoch``, ``logger_kwargs`` and the algorithm's own hyperparameters, by spinup's
names), so an :class:`~spinup.utils.run_utils.ExperimentGrid` runs it like one. It writes
``config.json`` and a ``progress.txt`` with the columns the benchmark summary and the plots read:
``Epoch``, ``AverageEpRet`` (training episodes), ``AverageTestEpRet`` (off-policy: deterministic
test episodes at the end of each epoch), ``TotalEnvInteracts`` and ``Time``.

:func:`sb3_arguments` is the hyperparameter mapping; ``benchmarks/README.md`` explains it and
where the two libraries cannot match. SB3 has no VPG, and TRPO only in sb3-contrib, so neither is
offered here.
"""

from __future__ import annotations

import inspect
import math
import time

import numpy as np

from spinup.algos import ON_POLICY, get_algo
from spinup.algos.offpolicy import run_test_episodes
from spinup.utils.errors import UserError
from spinup.utils.logx import EpochLogger

# spinup name -> SB3 class name.
SB3_ALGOS = {"ppo": "PPO", "ddpg": "DDPG", "td3": "TD3", "sac": "SAC", "dqn": "DQN"}

# Action spaces each SB3 algorithm accepts (SB3's SAC, TD3 and DDPG have no discrete version).
SB3_ACTION_SPACES = {"ppo": ("Box", "Discrete"), "ddpg": ("Box",), "td3": ("Box",), "sac": ("Box",),
                     "dqn": ("Discrete",)}

# An upper bound no gradient norm reaches: SB3 always clips gradients, spinup never does.
NO_GRAD_CLIP = 1e12


def require_sb3():
    """Import and return ``stable_baselines3``, or :class:`UserError` saying how to install it."""
    try:
        import stable_baselines3
    except ImportError:
        raise UserError("Running Stable-Baselines3 needs the stable-baselines3 package, which is not "
                        "installed. Install it with: pip install 'spinup[sb3]'.") from None
    return stable_baselines3


def spinup_defaults(algo: str) -> dict:
    """The default hyperparameters of spinup's ``algo``, read from its signature."""
    params = inspect.signature(get_algo(algo)).parameters
    return {k: p.default for k, p in params.items() if p.default is not inspect.Parameter.empty}


def sb3_arguments(algo: str, hyperparams: dict, steps_per_epoch: int, epochs: int) -> tuple[str, dict]:
    """The SB3 class name and constructor keyword arguments matching spinup's ``algo`` run with
    ``hyperparams`` (spinup's names; anything not given takes spinup's default).

    Network sizes and activations come from ``ac_kwargs`` (``hidden_sizes``, ``activation``).
    Raises :class:`UserError` for an algorithm SB3 lacks, an unknown hyperparameter, or a
    setting SB3 cannot express (e.g. ``double=True`` for DQN).
    """
    if algo not in SB3_ALGOS:
        raise UserError(f"Stable-Baselines3 has no {algo.upper()} (SB3 implements "
                        f"{', '.join(a.upper() for a in SB3_ALGOS)}; TRPO is only in sb3-contrib).")
    hp = spinup_defaults(algo)
    unknown = sorted(set(hyperparams) - set(hp))
    if unknown:
        raise UserError(f"{algo} has no hyperparameter {', '.join(unknown)}; "
                        f"known: {', '.join(sorted(hp))}.")
    if "actor_critic" in hyperparams:
        raise UserError("SB3 runs build SB3's own MLP networks; give ac_kwargs (hidden_sizes, "
                        "activation) instead of actor_critic.")
    hp.update(hyperparams)
    ac_kwargs = dict(hp.get("ac_kwargs") or {})
    default_ac = inspect.signature(hp["actor_critic"].__init__).parameters
    hidden = list(ac_kwargs.get("hidden_sizes", default_ac["hidden_sizes"].default))
    activation = ac_kwargs.get("activation", default_ac["activation"].default)
    unsupported = set(ac_kwargs) - {"hidden_sizes", "activation"}
    if unsupported:
        raise UserError(f"SB3 runs accept only hidden_sizes and activation in ac_kwargs, not "
                        f"{', '.join(sorted(unsupported))}.")

    if algo == "ppo":
        return "PPO", dict(
            n_steps=steps_per_epoch, batch_size=steps_per_epoch,  # one full-batch step per epoch
            n_epochs=hp["train_pi_iters"], learning_rate=hp["pi_lr"], gamma=hp["gamma"],
            gae_lambda=hp["lam"], clip_range=hp["clip_ratio"], target_kl=hp["target_kl"],
            ent_coef=0.0, max_grad_norm=NO_GRAD_CLIP, normalize_advantage=True,
            policy_kwargs=dict(net_arch=dict(pi=hidden, vf=hidden), activation_fn=activation,
                               ortho_init=False, log_std_init=-0.5))

    common = dict(buffer_size=int(hp["replay_size"]), batch_size=hp["batch_size"], gamma=hp["gamma"],
                  policy_kwargs=dict(net_arch=hidden, activation_fn=activation))
    if algo == "dqn":
        if hp["double"]:
            raise UserError("SB3's DQN has no Double DQN target; use double=False for an SB3 run.")
        if hp["huber_delta"] != 1.0:
            raise UserError("SB3's DQN uses the Huber loss with delta 1; use huber_delta=1.0 for an SB3 run.")
        return "DQN", dict(
            common, learning_rate=hp["lr"], learning_starts=max(hp["start_steps"], hp["update_after"]),
            train_freq=hp["update_every"], gradient_steps=hp["update_every"],
            target_update_interval=hp["target_update_every"], tau=1.0,
            exploration_initial_eps=hp["eps_start"], exploration_final_eps=hp["eps_end"],
            exploration_fraction=min(hp["eps_decay_steps"] / (steps_per_epoch * epochs), 1.0),
            max_grad_norm=NO_GRAD_CLIP)

    # DDPG, TD3, SAC: SB3 acts at random and does not update before learning_starts; spinup acts
    # at random for start_steps and updates from update_after. Random exploration is matched.
    offpolicy = dict(common, learning_starts=hp["start_steps"], tau=1.0 - hp["polyak"],
                     train_freq=(hp["update_every"], "step"), gradient_steps=hp["update_every"])
    if algo == "sac":
        alpha = hp["alpha"]
        target_entropy = hp["target_entropy"]
        return "SAC", dict(offpolicy, learning_rate=hp["lr"], target_update_interval=1,
                           ent_coef="auto_1.0" if alpha == "auto" else float(alpha),
                           target_entropy="auto" if target_entropy is None else float(target_entropy))
    if hp["pi_lr"] != hp["q_lr"]:
        raise UserError(f"SB3's {algo.upper()} has one learning rate for actor and critic; give "
                        f"pi_lr = q_lr for an SB3 run (got {hp['pi_lr']} and {hp['q_lr']}).")
    kwargs = dict(offpolicy, learning_rate=hp["q_lr"], action_noise_std=hp["act_noise"])
    if algo == "td3":
        kwargs.update(policy_delay=hp["policy_delay"], target_policy_noise=hp["target_noise"],
                      target_noise_clip=hp["noise_clip"])
    return SB3_ALGOS[algo], kwargs


def sb3_runner(algo: str, env_fn, seed: int = 0, epochs: int = 50, steps_per_epoch: int = 4000,
               logger_kwargs=dict(), **hyperparams):
    """Train Stable-Baselines3's ``algo`` with spinup's hyperparameters; log like spinup.

    Args:
        algo: ``'ppo'``, ``'ddpg'``, ``'td3'``, ``'sac'`` or ``'dqn'``.
        env_fn: a function that creates the environment (as for spinup's algorithms).
        seed: seeds SB3 (torch, NumPy, the environment) and the test environment (seed + 10000).
        epochs, steps_per_epoch: the budget, ``epochs * steps_per_epoch`` environment steps, and
            how often a row is written (for PPO also the batch of each update).
        logger_kwargs: for the :class:`~spinup.utils.logx.EpochLogger` (the run folder).
        **hyperparams: spinup's hyperparameters for ``algo`` (see :func:`sb3_arguments`);
            ``num_test_episodes`` sets the number of deterministic test episodes per epoch.
            spinup's bookkeeping arguments (``save_freq``, ``save_buffer``, ``resume``) and
            ``max_ep_len`` are accepted and ignored: episodes end at the environment's time limit.

    Returns:
        The trained SB3 model.
    """
    config = dict(locals())
    sb3 = require_sb3()
    cls_name, kwargs = sb3_arguments(algo, hyperparams, steps_per_epoch, epochs)
    num_test_episodes = hyperparams.get("num_test_episodes", spinup_defaults(algo).get("num_test_episodes", 10))
    on_policy = algo in ON_POLICY

    logger = EpochLogger(**logger_kwargs)
    config["sb3"] = dict(cls=cls_name, version=sb3.__version__, kwargs=kwargs)
    logger.save_config(config)

    env = env_fn()
    space = type(env.action_space).__name__
    if space not in SB3_ACTION_SPACES[algo]:
        raise UserError(f"SB3's {algo.upper()} does not support {space} action spaces (it takes "
                        f"{' or '.join(SB3_ACTION_SPACES[algo])}).")
    test_env = None if on_policy else env_fn()
    if test_env is not None:
        test_env.reset(seed=seed + 10000)
        test_env.action_space.seed(seed + 10000)
    if "action_noise_std" in kwargs:
        std = kwargs.pop("action_noise_std")
        dim = int(np.prod(env.action_space.shape))
        kwargs["action_noise"] = sb3.common.noise.NormalActionNoise(np.zeros(dim), std * np.ones(dim))
    model = getattr(sb3, cls_name)("MlpPolicy", env, seed=seed, device="cpu", verbose=0, **kwargs)
    callback = _epoch_logger_callback(sb3)(logger, steps_per_epoch, on_policy, test_env, num_test_episodes)
    model.learn(total_timesteps=epochs * steps_per_epoch, callback=callback)
    return model


def _epoch_logger_callback(sb3):
    """The SB3 callback class that writes spinup's epoch rows (built once SB3 is imported)."""

    class EpochLoggerCallback(sb3.common.callbacks.BaseCallback):
        """Store every finished training episode; at each epoch boundary (once the update that
        follows it is done) run the test episodes (off-policy) and write the epoch's row."""

        def __init__(self, logger, steps_per_epoch, on_policy, test_env, num_test_episodes):
            super().__init__()
            self.epoch_logger = logger
            self.steps_per_epoch = steps_per_epoch
            self.on_policy = on_policy
            self.test_env = test_env
            self.num_test_episodes = num_test_episodes
            self.epochs_done = 0
            self.start_time = time.time()

        def _on_training_start(self) -> None:
            self.start_time = time.time()

        def _on_step(self) -> bool:
            for info in self.locals.get("infos", []):
                if "episode" in info:  # added by SB3's Monitor wrapper when an episode ends
                    self.epoch_logger.store(EpRet=float(info["episode"]["r"]), EpLen=int(info["episode"]["l"]))
            return True

        # SB3 calls on_rollout_start after the update that follows each batch of collection.
        def _on_rollout_start(self) -> None:
            self._log_finished_epochs()

        def _on_training_end(self) -> None:
            self._log_finished_epochs()

        def _log_finished_epochs(self) -> None:
            while self.num_timesteps >= (self.epochs_done + 1) * self.steps_per_epoch:
                self._log_epoch()

        def _act(self, obs):
            act, _ = self.model.predict(obs, deterministic=True)
            return act

        def _log_epoch(self) -> None:
            logger = self.epoch_logger
            epoch = self.epochs_done + (0 if self.on_policy else 1)  # numbered as spinup numbers them
            if self.test_env is not None:
                run_test_episodes(self.test_env, self._act, self.num_test_episodes, math.inf, logger)
            logger.log_tabular("Epoch", epoch)
            logger.log_tabular("EpRet", with_min_and_max=True)
            if self.test_env is not None:
                logger.log_tabular("TestEpRet", with_min_and_max=True)
            logger.log_tabular("EpLen", average_only=True)
            if self.test_env is not None:
                logger.log_tabular("TestEpLen", average_only=True)
            logger.log_tabular("TotalEnvInteracts", (self.epochs_done + 1) * self.steps_per_epoch)
            logger.log_tabular("Time", time.time() - self.start_time)
            logger.dump_tabular()
            self.epochs_done += 1

    return EpochLoggerCallback
