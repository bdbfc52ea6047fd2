// Compiles the tests' precompiled header once (tests/CMakeLists.txt); it does nothing else.
int main() { return 0; }
