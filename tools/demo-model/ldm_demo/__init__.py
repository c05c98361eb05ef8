"""Recipe for the demo-shapes latent diffusion model (see ../README.md)."""
