"""Trust across the gap: the site's trusted OpenPGP keys, and signatures made and checked with them."""
