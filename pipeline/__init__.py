"""latent-walk's pipeline: runs the diffusion model and records what it does as captures the film reads."""
