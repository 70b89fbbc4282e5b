"""Study 4: content-ratio experiments that randomise whole groups."""
