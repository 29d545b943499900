from estore.cli import main

main()
