int cdeflate_version(void) { return 0; }
