"""Can other computers reach a listening program: bind scope, interfaces, firewall readers, the verdict."""
