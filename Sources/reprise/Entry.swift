import RepriseCLI

@main
enum Entry {
    static func main() async {
        await RepriseCommand.main()
    }
}
