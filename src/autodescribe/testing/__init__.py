"""Generated media with known truth and tiny random-weight models, shared by the tests, the
benchmarks and `autodescribe sample`.
"""
