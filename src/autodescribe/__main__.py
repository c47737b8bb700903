from autodescribe.cli import main

main()
