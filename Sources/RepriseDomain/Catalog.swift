/// The closed lists that commands are checked against: markets, surfaces, listener
/// segments and currencies.
///
/// The lists are data, not types, so a later version can add a value without touching a
/// single event schema. Events are never re-checked against the catalog, so a value that
/// leaves a list (a retired country code) still replays.
public enum Catalog {
    /// Every ISO 3166-1 alpha-2 country code (249 codes, as listed by Debian's iso-codes 4.15).
    public static let markets: Set<Market> = Set(words(
        """
        AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO
        BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ
        DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP
        GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG
        KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML
        MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE
        PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL
        SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM
        US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW
        """
    ).map(Market.init(rawValue:)))

    /// Where a promotion can appear in the listening app.
    public static let surfaces: Set<Surface> = Set([
        "home",            // the start page
        "search",          // search results
        "now-playing",     // the player view
        "radio-autoplay",  // what plays when the listener's queue runs out
        "library",         // the listener's saved music
        "browse",          // genre and mood pages
    ].map(Surface.init(rawValue:)))

    /// Listener segments: relation to the artist first, then genre affinity.
    public static let segments: Set<Segment> = Set([
        "new-listeners",   // never streamed the artist
        "casual",          // a few streams a month
        "engaged",         // streams the artist most weeks
        "superfans",       // top listeners: saves, repeats, concert interest
        "lapsed",          // used to listen, stopped for 90 days or more
        "genre-pop",
        "genre-hip-hop",
        "genre-rock",
        "genre-electronic",
        "genre-latin",
        "genre-r-and-b",
        "genre-country",
        "genre-jazz",
        "genre-classical",
    ].map(Segment.init(rawValue:)))

    /// ISO 4217 currencies in circulation (156 codes): Debian's iso-codes 4.15 list
    /// without fund, precious-metal and testing codes (BOV, XAU, XTS …) and without codes
    /// withdrawn since (ANG, CUC, HRK, SLL, ZWL), plus their successors XCG and ZWG.
    public static let currencies: Set<Currency> = Set(words(
        """
        AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP
        BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP
        GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES
        KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU
        MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON
        RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND
        TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VED VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR
        ZMW ZWG
        """
    ).map(Currency.init(rawValue:)))

    private static func words(_ text: String) -> [String] {
        text.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
    }
}
