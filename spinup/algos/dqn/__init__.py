"""Deep Q-Network (DQN)."""
