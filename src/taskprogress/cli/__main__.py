from taskprogress.cli import main

main()
