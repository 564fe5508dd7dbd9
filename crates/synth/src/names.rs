//! Indonesian names with regional flavour, and the ways sources spell them differently.
//!
//! Pools are plain word lists per naming tradition. Older Javanese and Sundanese people often
//! have one-word names; younger people mostly two or three parts. Batak and Minahasa names
//! carry a clan name (*marga*) passed from the father; Balinese names carry birth order;
//! Chinese-Indonesian families often share an Indonesianised surname.

use crate::rng::Rng;

/// Naming tradition of a family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tradition {
    /// Javanese (also used for Madurese here).
    Javanese,
    /// Sundanese.
    Sundanese,
    /// Malay and general Muslim naming (Sumatra, Kalimantan, elsewhere).
    Malay,
    /// Batak (North Sumatra), with a clan name.
    Batak,
    /// Minangkabau.
    Minang,
    /// Bugis–Makassar.
    Bugis,
    /// Balinese, with birth-order names.
    Balinese,
    /// Chinese-Indonesian.
    Chinese,
    /// Christian naming of eastern Indonesia (NTT, Maluku, Papua, North Sulawesi), with a clan name.
    Eastern,
    /// Arabic-derived naming (strongly Muslim families anywhere, Aceh).
    Arabic,
}

fn words(s: &'static str) -> Vec<&'static str> {
    s.split_whitespace().collect()
}

macro_rules! pool {
    ($name:ident, $text:expr) => {
        fn $name() -> &'static [&'static str] {
            static P: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
            P.get_or_init(|| words($text))
        }
    };
}

pool!(java_m_old, "SUPARMAN SUKIMAN SUYANTO SUGENG SLAMET SUMARNO PAIMAN PARMIN SUKARDI SUPRIYADI SUTRISNO SUPARNO \
 SUWARNO SUMADI SUDARSONO SUHARTO SUKARNO SUMARDI SUPANGAT SUROSO SUYITNO SUWITO SUKIRNO SUPRAPTO SUNARTO SUMANTO \
 SARIMAN KASIMAN KARDI KASMIN KATIMIN TUKIMAN TUGIMAN TUKIJO PONIMAN PAIJO PAINO JUMADI JAMINO JARWO JOKO DJOKO \
 WARSITO WAGIMAN WAGIRAN WASKITO WIDODO WIYONO WARDOYO MARJUKI MARSUDI MARTONO MULYADI MULYONO MUJIONO MUJIMAN \
 NGADIMAN NGATIMAN NGADINO NGATIJO RUSMAN RUSDI RAHARJO RIYANTO SAMSUDIN SAMIJO SARDJONO SARNO SATIMIN SAYUDI \
 SUBAGIYO SUBANDI SUBARI SUBIYANTO SUDARMAN SUDIRMAN SUGIHARTO SUGIYONO SUHADI SUJARWO SUKADI SUKAMTO SULISTYO \
 SUMARTONO SUNARDI SUNARYO SUPENO SUPOYO SURADI SURATMAN SURIPTO SURYADI SUTARNO SUTIKNO SUTOYO SUWANDI SUWARDI \
 TARMUJI TEGUH TRIMO TUMIRAN TURIMAN WAKIDI WALUYO WIRYO YATIMAN YUWONO HARTONO HARYANTO HERU BAMBANG BUDIONO \
 DARMAJI DARSONO GIMAN GITO KUSNADI KUSNO LASIMAN LEGIMAN MARDI MISDI MISNO PARDI PARJO PONIJO PURWANTO RASIMAN");
pool!(java_f_old, "SUMIATI SUPARMI SUKINAH SUMINAH SUNARTI SUPRIYATI SUWARNI SUMARNI SUYATMI SUKARTI PAINEM PAINAH \
 PONIYEM PARTINAH PARMI PARSINI TUMINAH TUKINEM TUGIYEM TUMIYEM WAGINEM WARSINI WARTINI WAKIYEM JUMINAH JUMIATI \
 KASINEM KASMIRAH KATINEM KARSINAH MARSIH MARTINI MURTINI MUJIATI MUNAWAROH NGATINEM NGADIYEM NGATIYEM RUBIYEM RUSMINI \
 SAMINAH SARIYEM SARTINI SATIYEM SAYEM SITI SRI SRIYANI SRIATUN SUDARMI SUGIYEM SUHARTINI SULASTRI SULIKAH SULISTYOWATI \
 SUMARSIH SUMIYATI SUNDARI SUPARTI SUPINAH SURATMI SURIP SURTINI SUTINAH SUTARMI SUWARTI TARMI TINAH TRIYANI \
 UMI WARSIH WATINI WIDARTI YATMI YUNIATI ENDANG HARTATI HARYATI KARTINI KASIYATI LASMI LASTRI MARYAM MARYATI \
 MUJINAH NANIK NGATMINI NURYANI PARIYEM PARTINI PONIRAH RATMI RUMINI SAMIYEM SARMI SENEN SUKESI SUMARTI");
pool!(modern_m, "RIZKY ADITYA DIMAS FAJAR BAYU ANDI AGUS BUDI DEDI EKO HENDRA IRFAN JOKO KURNIA LUTFI \
 NANDA OKTA PUTRA RAFI RENDI RIO SANDI TAUFIK WAHYU YOGA YUDHA ZAKI ARIF ARDI BAGUS BIMA CAHYO DANI DIKA \
 DWI EKA FERRY GALIH GILANG HADI HARIS ILHAM INDRA IWAN JEFRI KEVIN LUKMAN MAULANA NOVAL PANJI PRASETYO \
 RAHMAT RANGGA REZA RIDWAN RIFKI ROHMAN SATRIA SEPTIAN TEGAR TRI TOMMY UMAR VICKY WISNU YUSUF ZAINAL ADI ALDI \
 ANGGA ARYA AZKA BINTANG DAFFA DENI DODI ERWIN FADIL FAISAL FEBRI FIRMAN HAFIZ HENDRI IKHSAN IMAM JUNAEDI \
 KHOIRUL MUKHLIS NUGRAHA RAKA RAMA RISKI ROBI SIGIT SONY SURYA SYAIFUL TAUFAN TOTOK ULUL WAHYUDI WAWAN YANTO \
 YUDI ZIDAN ABIMANYU ADE AJI ALFIAN ANDIKA ANTON ARIS ARYO DANANG DENNY DIAN DONI ERIK FAJRI GUNTUR HANIF \
 HERI IQBAL KRISNA MIFTAH NOFAL PANDU RADITYA RAIHAN RESTU ROMI SAPUTRA SETYO TOTO WILDAN YOGI");
pool!(modern_f, "PUTRI AYU DEWI FITRI INDAH KARTIKA LESTARI MAYA NOVI RATNA SARI TIARA WULAN YULI ANISA \
 AULIA CITRA DIAN DINDA ELSA ERNA FEBY INTAN JULIA LINDA MEGA NADIA NURUL RINA RIRIN SINTA TRI VIVI WIDYA \
 YUNI ZAHRA ADINDA ALYA AMELIA ANGGI ANITA AYUNDA BELLA CAHYA DEVI DWI EKA ELIS ENDAH FARAH FIKA GITA \
 HANA IKA IRMA JIHAN KHOIRUN LAILA LUTFIA MARLINA MELATI NABILA NINGSIH OKTAVIA PRATIWI RAHMA RENI RISKA \
 SALSA SELVI SRI TANTI UMI VINA WINDA YANTI YULIA ZASKIA AGUSTINA ALIFIA ANJANI ARUM ASTUTI DESI DIAH \
 EVI FATMA HERLINA ILMA INDRI KIRANA LIA LINA MIRA NAILA NOVITA PUSPITA RATIH RIKA ROSITA SEKAR SUCI \
 TIKA TITIN UTAMI WIDI YESI YUNITA");
pool!(modern_last_m, "PRATAMA SAPUTRA SETIAWAN WIBOWO KURNIAWAN HIDAYAT NUGROHO RAMADHAN PURNOMO SANTOSO \
 SUSANTO WIJAYA PERMANA FIRMANSYAH HERMAWAN GUNAWAN HAKIM IRAWAN KUSUMA MAULANA NUGRAHA PRASETYO PUTRA \
 RAHARJO RAHMAN SAFITRA SETIADI SUGIARTO SULISTYO SYAHPUTRA WAHYUDI WICAKSONO YULIANTO ADITAMA ARDIANSYAH \
 AFANDI ARIFIN BUDIMAN DARMAWAN EFENDI FAUZI HARYADI HIDAYATULLAH ISKANDAR JAYA KRISTIANTO LESMANA MAHENDRA \
 MUSTOFA NURHADI PAMUNGKAS PRADANA PRAYOGA RIYADI RIZALDI SAMUDRA SETIYONO SUBEKTI SUHENDRA SUPRIYADI \
 TRIYONO UTOMO WARDANA WIDODO WINATA YUDHISTIRA ZULKARNAEN ANGGARA BASKORO CAHYONO DWIPUTRA ERLANGGA");
pool!(modern_last_f, "LESTARI RAHAYU PERTIWI WULANDARI ANGGRAENI SARI PUSPITASARI NINGSIH SAFITRI RAHMAWATI \
 HANDAYANI KURNIASIH MARDIANA NOVITASARI PRATIWI PURNAMASARI PUTRI RAMADHANI SETIAWATI SUSANTI UTAMI WAHYUNI \
 WIDYASTUTI YULIANTI AMALIA ANDRIANI APRILIANI ARYANI AYUNINGTYAS CAHYANI DAMAYANTI FEBRIANTI FITRIANI \
 HARTANTI INDRIANI KHASANAH KUSUMAWATI LESTARININGSIH MAHARANI MAULIDA NURHALIMAH OKTAVIANI PERMATASARI \
 RIYANTI ROSDIANA SEPTIANI SULISTYOWATI SUSILOWATI WIJAYANTI YUNIARTI ZULAIKHA ANGGRAINI ASTUTI");
pool!(islamic_m, "MUHAMMAD AHMAD ABDUL ABDULLAH HASAN HUSEIN ALI UMAR USMAN IBRAHIM ISMAIL YUSUF YAHYA ZAKARIA \
 SULAIMAN DAUD MUSA HARUN IDRIS ILYAS ISHAK YAKUB SALEH HAMZAH KHALID FAUZAN FIKRI HABIB HAMID HANAFI IMRAN \
 JAMALUDDIN KAMALUDDIN LUKMAN MAHMUD MANSUR MUSTAFA NASRUDDIN NURDIN RASYID RIDWAN RUSLAN SAIFUL SALIM SYAMSUL \
 SYARIF TAUFIQ ZAINUDDIN ZULKIFLI AMIRUDDIN ANWAR ASLAM AZHAR BAHRUDIN FADLI FAHMI FAISAL HASBI HASYIM IKHWAN \
 IRFAN JUNAIDI KHAIRUL MAKMUR MUHSIN MUKHTAR NAJIB NASIR QOMARUDIN RAHMAN SOLEH SUBHAN SYAHRUL WAHID ZAINAL");
pool!(islamic_m_second, "RAHMAN RAHIM HAKIM AZIZ KARIM LATIF MALIK MAJID SALAM WAHAB GHANI HALIM QADIR SAMAD \
 FAUZI HIDAYAT IKHSAN ARIF FIKRI NUR RIZKI AL-FARISI ALFARIZI SYAFII HAMDANI ANSHORI BASRI MUBAROK NAWAWI");
pool!(islamic_f, "SITI NUR FATIMAH AISYAH KHADIJAH MARYAM ZAINAB HALIMAH AMINAH SALAMAH RUKAYAH MASITAH \
 NURHAYATI NURJANNAH NURHASANAH NURLAELA NURAINI HAFSAH SAFIYAH SALMA SUMAYYAH ZULAIKHA ASIAH HASANAH \
 HUSNA JAMILAH KHOIRIYAH LAILATUL MUNAWAROH MUSLIMAH NAFISAH QOMARIYAH RABIAH RAHMAWATI ROHMAH SAIDAH \
 SHOLIHAH SOFIAH UMMU WARDAH ZAHROTUL ZUHRIYAH AFIFAH ALFIYAH ANISAH AZIZAH BAROKAH FAIZAH HIDAYAH \
 IZZATI KHUSNUL LATIFAH MAGHFIROH MARDIYAH MUTMAINAH NADHIFA NAJWA RAHMA");
pool!(
    islamic_f_second,
    "AMINAH AISYAH FATIMAH ZAHRA HASANAH HALIMAH KHOLIFAH AZIZAH SALAMAH JANNAH HIDAYAH \
 ROHMAH LAILY MUNAWAROH NURJANAH KHOTIMAH MAIMUNAH SHOLEHAH MUSLIHAH UMAMAH"
);
pool!(sunda_m, "ASEP UJANG DADANG CECEP ENDANG DEDE DEDEN DENI DIDIN EDI EMAN ENCEP ENJANG HENDRA IWAN JAJANG \
 JAJAT KOKO MAMAN NANANG OMAN OJAK RUDI SAEPUL SUHERMAN SUHENDAR SUPRIATNA TATANG UDIN UJANG UUS WAWAN YAYAN \
 YUYUN ADE AGUS AHMAD ATENG CUCU DADAN DARMAN DINDIN EUTIK GUNGUN HERMAN IJANG KUSNADI MAMAT NENDI OCID \
 OTONG RAHMAT SOBARI SUKANDAR SUNARYA SUTISNA TARYANA UJANG WARMAN YOYO");
pool!(sunda_f, "NENG IIS EUIS TETI YAYAH ENOK NENAH ENIH ICIH IKAH IMAS ITOH KOKOM LILIS NANI NUNUNG \
 OOM POPON ROSITA TITIN UUM YATI YAYU YOYOH ANI CUCU DEDEH EEN EMAH ENTIN ENUNG EUCEU HENI IDA IMAS \
 JUJU LIA MIMIN NINING NUNUY NURHAYATI RINA SITI SRI TATI UJU WIWIN YANTI YENI");
pool!(batak_given_m, "BONAR HOTMAN PARLINDUNGAN MARULAM TUMPAL JONGGI SAHAT BINSAR HOTLAN MANGASI \
 PANGIHUTAN RAJA TOGAR POLTAK LAMHOT DAULAT BERNARD DAVID JOSUA SAMUEL DANIEL ROBERT RICKY HENDRIK MARTIN \
 ANDREAS IMANUEL FERDINAN JONATHAN RUDOLF");
pool!(
    batak_given_f,
    "ROSMAWATI ROSTIANA MAWAR HOTMAIDA LAMRIA TIOMINAR RUGUN NURHAIDA ROMAULI DUMARIA \
 SARMAULI PINTA MERI RUTH ESTER LIDIA MARIA DEBORA YOHANA KRISTINA SUSI RIA NOVA MARTA"
);
pool!(batak_marga, "SIMANJUNTAK NAINGGOLAN SIREGAR NASUTION HUTAPEA SIANTURI SIHOMBING SITUMORANG PANJAITAN \
 SITOMPUL HUTAGALUNG SIMATUPANG PARDEDE SINAGA SARAGIH PURBA DAMANIK GINTING SEMBIRING TARIGAN SITEPU PERANGIN-ANGIN \
 LUBIS HARAHAP RITONGA DALIMUNTHE MANURUNG SILALAHI TAMPUBOLON NAPITUPULU SIAHAAN SIAGIAN MARPAUNG HUTABARAT \
 PASARIBU SIMBOLON SIMAMORA GULTOM SITORUS PANGARIBUAN SIBURIAN HASIBUAN MATONDANG SAMOSIR");
pool!(minang_m, "AFRIZAL YUSRIZAL NOVRIZAL ZULKIFLI DEDI RAHMAT ERWIN YULIZAR ASRIL BUSTAMI DASRIL EFENDI \
 FIRDAUS HENDRI IRWAN JASRIL MASRIL NASRUL RAMLI SYAFRIL YUHERMAN ZULHENDRI ANDRIZAL DESWANDI ELFIZAR \
 HARDIANSYAH MUSLIM RIDWAN SUHAIMI YOSRIZAL ARMAN DARMANSYAH EDWAR FADLI GUSRIZAL");
pool!(minang_f, "YULIA DESRI ELVI FITRIA HASNIATI ISMAWATI LENI MASNI NURLELA RAHMI SUSI YENI YUSNIMAR \
 ZURAIDA ASMAWATI DEWI ERNAWATI GUSNIATI HELMAWATI JUSNIDAR LISNAWATI MARNI NOVIA RATNA SRI WIRDA YASNI");
pool!(
    bugis_m,
    "ARIFUDDIN SYAMSUDDIN BAHARUDDIN HASANUDDIN JAMALUDDIN KAMARUDDIN NURDIN SYAHRIR \
 SUPARDI MUSTARI BASRI HAMZAH JUMADI LATIF MAKMUR RAHMAN SALEH TAHIR YUSUF AMIR ASRI DARWIS FIRMAN \
 HASAN IDRIS KADIR LUKMAN MUHAMMAD NASRULLAH RUSLAN SUARDI SUDIRMAN SYAFRUDDIN"
);
pool!(
    bugis_f,
    "HASNAWATI NURHAYATI SITTI HASNAH MASNIAH NURAENI HARTATI MARWAH RAHMAWATI SALMAWATI \
 SUHARTINI SYAMSIAH ASNI DARMAWATI HASMIAH JUMRIAH KASMAWATI MURNI NURLINA RAHMATIA SUARNI WAHIDA"
);
pool!(bali_given_m, "SUDARSANA ARTAWAN SUARDANA ADNYANA WIRAWAN SUTARJANA MERTAYASA WIDIANA ASTAWA DARMAWAN \
 SUDIARTA SUTAMA PUTRAWAN ARSANA SUKERTA SUARJANA MARDIKA SWASTIKA ANTARA WIRATAMA KARIASA SUWITRA DANA");
pool!(
    bali_given_f,
    "AYU LESTARI SUCIATI ARINI SUDARMI SRIASIH PUSPAYANTI WIDIANTARI SUARTINI ARTINI \
 KARTINI MERTI SUASTINI PARWATI SUKERTI WIDIASIH ASTUTI RATNA DEWI SRIMAWATI"
);
pool!(
    bali_order_m,
    "WAYAN PUTU GEDE MADE KADEK NENGAH NYOMAN KOMANG KETUT"
);
pool!(
    bali_order_f,
    "WAYAN PUTU LUH MADE KADEK NENGAH NYOMAN KOMANG KETUT"
);
pool!(
    chinese_m,
    "HENDRA BUDI WILLIAM KEVIN SUSANTO HARTONO JOHAN FELIX HENRY ALBERT STEVEN ANTONIUS \
 GUNAWAN LIONG HARYANTO SUGIANTO TEDDY JIMMY ROBERT VINCENT ANDREAS DARMAWAN EDWIN FRANKY IVAN"
);
pool!(
    chinese_f,
    "LINDA SUSI MELIANA YENNY LIANA MEILANI SHERLY VERONIKA LIDYA MONICA CYNTHIA WENNY \
 NATALIA FELICIA JESSICA MARIANI SUSANTI LILIS MEILY CHRISTINE"
);
pool!(
    chinese_surname,
    "TANOTO SANTOSO WIJAYA GUNAWAN HALIM TANJAYA SETIADI KUSUMA LIM TAN LIE HALIMAN \
 SALIM SUTANTO HARTANTO WIDJAJA TANUWIJAYA SETIAWAN HADINATA SUGIHARTO"
);
pool!(eastern_m, "YOHANES PETRUS YOSEF PAULUS MARKUS LUKAS MATEUS FRANSISKUS ANTONIUS BERNARDUS YAKOBUS \
 SIMON STEFANUS AGUSTINUS DOMINIKUS KORNELIS HENDRIKUS ALOYSIUS THOMAS YULIUS NIKOLAUS ELIAS YONAS ABRAHAM \
 DANIEL SEMUEL MARTHEN OKTOVIANUS YEREMIAS LEONARD");
pool!(eastern_f, "MARIA MAGDALENA YOHANA KATARINA ELISABETH FRANSISKA AGUSTINA VERONIKA MARTHA SERLI \
 YULIANA ROSALINA MARGARETHA THERESIA REGINA BERTHA KORNELIA FERONIKA DORKAS SARA YUNITA ADRIANA NOVITA");
pool!(eastern_clan, "NDUN BENU TOLLE LAKE MANAFE NENOBAIS FANGGIDAE TEFA SERAN BERE WENDA KOGOYA WONDA TABUNI \
 YIKWA MANSOBEN RUMBEWAS PATTINAMA LATUMAHINA PATTIASINA SAHETAPY SUMAMPOUW WALANDOUW LUMINGKEWAS TUMEWU \
 RUNTUWENE KAUNANG POLII SENDUK RUMAYAR LAIN DA COSTA DE ROSARI PEREIRA FERNANDEZ");
pool!(malay_m, "SYAFRUDIN ZULKARNAIN AZHAR FAHRUL HERMAN JUNAIDI MAHYUDIN RAMLI ROSLAN SAMSUL TAMRIN YUSRAN \
 ABDUL HASAN IDRUS KAMARUL MAHMUD NORDIN RAHIM SULAIMAN WAHAB ZAINAL ARDIANSYAH FIRDAUS HAIRUL JUMRAN");
pool!(
    malay_f,
    "NORMAH ROSNAH FAUZIAH HAMIDAH JUBAIDAH MASNAH NORHAYATI RAHMAH ROSMALA SALMAH ZUBAIDAH \
 AISAH HASNAH JUWITA MARLINA NURLAILA RAHIMAH ROSIDAH SUHAILA YUSNITA"
);

/// Stems and endings of Javanese names: older people's one-word names are built this way
/// (SU-KIMAN, PAR-NO, SUM-INAH), which gives the long tail of rare names real registers have.
const JAVA_STEMS: [&str; 48] = [
    "SU", "SUR", "SUM", "SUP", "SUG", "SUK", "SUT", "SUW", "PAR", "PAI", "MAR", "WAR", "KAR",
    "TAR", "SAR", "NGAD", "NGAT", "JUM", "KAS", "MUJ", "RUS", "SAM", "SAD", "SLAM", "TUK", "TUG",
    "WAG", "WAK", "PON", "RAT", "TRI", "DAR", "GIT", "HAR", "KUS", "LAS", "MUL", "RIY", "SUB",
    "SUD", "SUH", "SUJ", "SUL", "SUN", "SUY", "WID", "WIR", "YAT",
];
const JAVA_END_M: [&str; 17] = [
    "MAN", "NO", "TO", "DI", "JO", "MIN", "YANTO", "YONO", "ADI", "IYO", "ONO", "ARDI", "ANTO",
    "IMAN", "IRAN", "IJAN", "UN",
];
const JAVA_END_F: [&str; 13] = [
    "INAH", "IYEM", "MI", "TI", "SIH", "ATI", "INI", "INEM", "IYATI", "YATUN", "ANI", "ARTI",
    "ARSIH",
];

fn java_built(rng: &mut Rng, female: bool) -> String {
    let stem = *rng.pick(&JAVA_STEMS);
    let end = if female {
        *rng.pick(&JAVA_END_F)
    } else {
        *rng.pick(&JAVA_END_M)
    };
    format!("{stem}{end}")
}

/// Everything a generated name needs to know about its bearer.
pub struct NameContext {
    /// Naming tradition of the family.
    pub tradition: Tradition,
    /// Female?
    pub female: bool,
    /// Year of birth (older generations: one-word names and old spelling).
    pub birth_year: i32,
    /// Clan name or family surname inherited from the father, if the tradition has one.
    pub clan: Option<&'static str>,
    /// Birth order among siblings, for Balinese names.
    pub birth_order: u32,
}

/// Draws a clan name or surname for a new family line, if the tradition uses one.
pub fn draw_clan(rng: &mut Rng, t: Tradition) -> Option<&'static str> {
    match t {
        Tradition::Batak => Some(*rng.pick(batak_marga())),
        Tradition::Eastern => Some(*rng.pick(eastern_clan())),
        Tradition::Chinese if rng.chance(0.5) => Some(*rng.pick(chinese_surname())),
        _ => None,
    }
}

/// A registered name (upper case, as on the KTP) for a person.
pub fn full_name(rng: &mut Rng, c: &NameContext) -> String {
    let old = c.birth_year < 1975;
    let f = c.female;
    let mut s = String::with_capacity(24);
    match c.tradition {
        Tradition::Javanese | Tradition::Sundanese => {
            let (old_m, old_f) = if c.tradition == Tradition::Javanese {
                (java_m_old(), java_f_old())
            } else {
                (sunda_m(), sunda_f())
            };
            let one_word = if old { 0.75 } else { 0.18 };
            if c.tradition == Tradition::Javanese && rng.chance(one_word * 0.45) {
                s.push_str(&java_built(rng, f));
            } else if rng.chance(one_word) {
                s.push_str(pw(rng, if f { old_f } else { old_m }));
                if f && (s == "SRI" || s == "SITI") {
                    s.push(' ');
                    s.push_str(pw(rng, old_f));
                }
            } else if rng.chance(0.25) {
                islamic(rng, f, &mut s);
            } else {
                modern(rng, f, &mut s, old, c.birth_year);
            }
        }
        Tradition::Malay => {
            if rng.chance(if old { 0.5 } else { 0.2 }) {
                s.push_str(pw(rng, if f { malay_f() } else { malay_m() }));
            } else if rng.chance(0.5) {
                islamic(rng, f, &mut s);
            } else {
                modern(rng, f, &mut s, old, c.birth_year);
            }
        }
        Tradition::Arabic => islamic(rng, f, &mut s),
        Tradition::Minang => {
            s.push_str(pw(rng, if f { minang_f() } else { minang_m() }));
            if !old && rng.chance(0.4) {
                s.push(' ');
                s.push_str(pw(rng, if f { modern_last_f() } else { modern_last_m() }));
            }
        }
        Tradition::Bugis => {
            if !f && rng.chance(0.08) {
                s.push_str("ANDI ");
            }
            if rng.chance(0.35) {
                islamic(rng, f, &mut s);
            } else {
                s.push_str(pw(rng, if f { bugis_f() } else { bugis_m() }));
            }
        }
        Tradition::Batak => {
            s.push_str(pw(rng, if f { batak_given_f() } else { batak_given_m() }));
            if !old && rng.chance(0.3) {
                s.push(' ');
                s.push_str(pw(rng, if f { modern_f() } else { modern_m() }));
            }
            s.push(' ');
            s.push_str(c.clan.unwrap_or("SIREGAR"));
        }
        Tradition::Balinese => {
            s.push_str(if f { "NI " } else { "I " });
            let order = if f { bali_order_f() } else { bali_order_m() };
            let slot = match c.birth_order % 4 {
                0 => rng.range(0, 2),
                1 => rng.range(3, 5),
                2 => rng.range(6, 7),
                _ => 8,
            } as usize;
            s.push_str(order[slot.min(order.len() - 1)]);
            s.push(' ');
            s.push_str(pw(rng, if f { bali_given_f() } else { bali_given_m() }));
        }
        Tradition::Chinese => {
            s.push_str(pw(rng, if f { chinese_f() } else { chinese_m() }));
            if let Some(clan) = c.clan {
                s.push(' ');
                s.push_str(clan);
            }
        }
        Tradition::Eastern => {
            s.push_str(pw(rng, if f { eastern_f() } else { eastern_m() }));
            if rng.chance(0.3) {
                s.push(' ');
                s.push_str(pw(rng, if f { modern_f() } else { eastern_m() }));
            }
            s.push(' ');
            s.push_str(c.clan.unwrap_or("LAKE"));
        }
    }
    if old && matches!(c.tradition, Tradition::Javanese | Tradition::Sundanese) && rng.chance(0.3) {
        s = to_old_spelling(&s);
    }
    s
}

fn islamic(rng: &mut Rng, f: bool, s: &mut String) {
    if f {
        let first = *rng.pick(islamic_f());
        s.push_str(first);
        if rng.chance(0.55) {
            s.push(' ');
            let pool = if rng.chance(0.5) {
                islamic_f_second()
            } else {
                modern_last_f()
            };
            s.push_str(pw(rng, pool));
        }
    } else {
        let first = *rng.pick(islamic_m());
        s.push_str(first);
        if first == "ABDUL" || rng.chance(0.5) {
            s.push(' ');
            let pool = if rng.chance(0.6) {
                islamic_m_second()
            } else {
                modern_last_m()
            };
            s.push_str(pw(rng, pool));
        }
    }
}

/// Given names of children born since about 2005: parents increasingly coin long, rare names.
fn recent_first(rng: &mut Rng, f: bool) -> &'static str {
    const M: [&str; 40] = [
        "ALFATIH",
        "ARKAN",
        "AQIL",
        "ABRISAM",
        "AZZAM",
        "BARRA",
        "DZAKY",
        "ELVARO",
        "FARZAN",
        "GHAZI",
        "HAFIZH",
        "IZZAN",
        "KENZIE",
        "MALIK",
        "NAUFAL",
        "RAFARDHAN",
        "RAYYAN",
        "SAKHI",
        "UWAIS",
        "ZAYYAN",
        "ALVARO",
        "ARSYA",
        "ATHAR",
        "DAVIN",
        "EMIR",
        "FATHAN",
        "GIBRAN",
        "HAIDAR",
        "KAFKA",
        "NADHIF",
        "OMAR",
        "QAISAR",
        "RASYA",
        "SHAKA",
        "TAMA",
        "XAVIER",
        "YAZID",
        "ZHAFRAN",
        "ARDAN",
        "BIRRU",
    ];
    const F: [&str; 40] = [
        "AQILA", "AZZAHRA", "ALESHA", "ARSYILA", "CALLISTA", "DHIA", "ELVINA", "FAIHA", "GHAISANI",
        "HUMAIRA", "KEISHA", "KHANZA", "MIKAILA", "NADHIRA", "NAURA", "QIANA", "RAISA", "SHAKILA",
        "SYIFA", "ZAFIRA", "ADREENA", "ALMAHYRA", "ATHIFA", "CHIARA", "DZAKIRA", "FAYOLA", "HANIN",
        "INARA", "KANAYA", "LUNA", "MYSHA", "NAFISA", "QUEENSHA", "RANIA", "SHAFA", "TALITHA",
        "VELOVE", "YUMNA", "ZIVANA", "ALMIRA",
    ];
    if f {
        pw(rng, &F)
    } else {
        pw(rng, &M)
    }
}

fn modern(rng: &mut Rng, f: bool, s: &mut String, old: bool, birth_year: i32) {
    if birth_year >= 2005 && rng.chance(0.4) {
        s.push_str(recent_first(rng, f));
        s.push(' ');
    } else if !f && rng.chance(0.12) {
        s.push_str("MUHAMMAD ");
    } else if f && rng.chance(0.08) {
        s.push_str(if rng.chance(0.5) { "SITI " } else { "NUR " });
    }
    s.push_str(pw(rng, if f { modern_f() } else { modern_m() }));
    if !old || rng.chance(0.3) {
        s.push(' ');
        s.push_str(pw(rng, if f { modern_last_f() } else { modern_last_m() }));
        let third = match birth_year {
            ..1975 => 0.05,
            1975..1995 => 0.2,
            _ => 0.45,
        };
        if rng.chance(third) {
            s.push(' ');
            s.push_str(pw(rng, if f { modern_last_f() } else { modern_last_m() }));
        }
    }
}

/// Old (pre-1972) spelling: U → OE, J → DJ, C → TJ, Y → J.
pub fn to_old_spelling(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 4);
    for ch in s.chars() {
        match ch {
            'U' => out.push_str("OE"),
            'J' => out.push_str("DJ"),
            'C' => out.push_str("TJ"),
            'Y' => out.push('J'),
            c => out.push(c),
        }
    }
    out
}

/// New spelling: OE → U, DJ → J, TJ → C, J (alone, old Y) is left as is.
pub fn to_new_spelling(s: &str) -> String {
    s.replace("OE", "U").replace("DJ", "J").replace("TJ", "C")
}

/// Variant spellings of MUHAMMAD seen in the sources.
pub const MUHAMMAD_VARIANTS: [&str; 8] = [
    "MUHAMAD", "MOHAMAD", "MOHAMMAD", "MOCH.", "MOCH", "M.", "MUH.", "MOH.",
];

/// Honorifics and degrees that some sources put in the name field.
pub const TITLES_BEFORE: [&str; 5] = ["H.", "HJ.", "DRS.", "IR.", "DR."];
/// Degrees written after the name.
pub const TITLES_AFTER: [&str; 6] = [
    ", S.PD.", ", S.E.", ", S.H.", ", S.KOM.", ", S.AG.", ", A.MD.",
];

/// Applies one spelling variant that a source might write instead of the registered name.
/// Returns `None` when no variant of that kind applies to this name.
///
/// Old spelling is only ever put on the names of people born before 1975, who were
/// registered when it was still in use; newer spelling can replace it for anyone.
pub fn variant(
    rng: &mut Rng,
    name: &str,
    kind: NameVariant,
    female: bool,
    father: &str,
    birth_year: i32,
) -> Option<String> {
    match kind {
        NameVariant::Muhammad => {
            let first = name.split(' ').next()?;
            if !matches!(first, "MUHAMMAD" | "MUHAMAD" | "MOHAMMAD" | "MOHAMAD") {
                return None;
            }
            Some(format!(
                "{}{}",
                rng.pick(&MUHAMMAD_VARIANTS),
                &name[first.len()..]
            ))
        }
        NameVariant::Siti => {
            if let Some(rest) = name.strip_prefix("SITI ") {
                Some(format!("SITTI {rest}"))
            } else {
                name.strip_prefix("SITTI ")
                    .map(|rest| format!("SITI {rest}"))
            }
        }
        NameVariant::Spelling => {
            let newer = to_new_spelling(name);
            if newer != name {
                Some(newer)
            } else {
                let older = to_old_spelling(name);
                (birth_year < 1975 && older != name && rng.chance(0.5)).then_some(older)
            }
        }
        NameVariant::Title => Some(if rng.chance(0.6) {
            let t = if female && rng.chance(0.6) {
                "HJ."
            } else {
                *rng.pick(&TITLES_BEFORE)
            };
            format!("{t} {name}")
        } else {
            format!("{name}{}", rng.pick(&TITLES_AFTER))
        }),
        NameVariant::BinBinti => {
            let father_first = father.split(' ').next().filter(|w| !w.is_empty())?;
            Some(format!(
                "{name} {} {father_first}",
                if female { "BINTI" } else { "BIN" }
            ))
        }
        NameVariant::Abbreviated => {
            let parts: Vec<&str> = name.split(' ').collect();
            if parts.len() < 2 {
                return None;
            }
            let mut out = String::with_capacity(name.len());
            match rng.below(3) {
                0 => {
                    // Drop the last part.
                    out.push_str(&parts[..parts.len() - 1].join(" "));
                }
                1 => {
                    // Initial for the first part.
                    out.push_str(&parts[0][..1]);
                    out.push('.');
                    for p in &parts[1..] {
                        out.push(' ');
                        out.push_str(p);
                    }
                }
                _ => {
                    // Initial for the last part.
                    out.push_str(&parts[..parts.len() - 1].join(" "));
                    out.push(' ');
                    out.push_str(&parts[parts.len() - 1][..1]);
                }
            }
            Some(out)
        }
        NameVariant::Typo => Some(typo(rng, name)),
    }
}

/// Kinds of name variation between sources.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameVariant {
    /// MUHAMMAD written another way.
    Muhammad,
    /// SITI / SITTI.
    Siti,
    /// Old spelling (DJ, TJ, OE) against new.
    Spelling,
    /// An honorific or degree added.
    Title,
    /// BIN / BINTI and the father's name added.
    BinBinti,
    /// A name part dropped or cut to its initial.
    Abbreviated,
    /// One typing error.
    Typo,
}

/// One typing error: a substitution by a neighbouring key, a deletion, a doubling or a
/// transposition.
pub fn typo(rng: &mut Rng, name: &str) -> String {
    let mut b: Vec<u8> = name.bytes().collect();
    let letters: Vec<usize> = (0..b.len())
        .filter(|&i| b[i].is_ascii_uppercase())
        .collect();
    if letters.len() < 3 {
        return name.to_owned();
    }
    let i = letters[rng.below(letters.len() as u64) as usize];
    match rng.below(4) {
        0 => b[i] = neighbour_key(b[i], rng),
        1 => {
            b.remove(i);
        }
        2 => b.insert(i, b[i]),
        _ => {
            if i + 1 < b.len() && b[i + 1].is_ascii_uppercase() {
                b.swap(i, i + 1);
            } else {
                b[i] = neighbour_key(b[i], rng);
            }
        }
    }
    String::from_utf8(b).unwrap_or_else(|_| name.to_owned())
}

fn neighbour_key(c: u8, rng: &mut Rng) -> u8 {
    const ROWS: [&[u8]; 3] = [b"QWERTYUIOP", b"ASDFGHJKL", b"ZXCVBNM"];
    for row in ROWS {
        if let Some(p) = row.iter().position(|&x| x == c) {
            let left = p.checked_sub(1).map(|q| row[q]);
            let right = row.get(p + 1).copied();
            return match (left, right) {
                (Some(l), Some(r)) => {
                    if rng.chance(0.5) {
                        l
                    } else {
                        r
                    }
                }
                (Some(l), None) => l,
                (None, Some(r)) => r,
                (None, None) => c,
            };
        }
    }
    c
}

/// A word drawn from a pool.
fn pw(rng: &mut Rng, pool: &[&'static str]) -> &'static str {
    let word: &&'static str = rng.pick(pool);
    word
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_and_new_spelling_round_trip_for_common_names() {
        assert_eq!(to_old_spelling("SUPARMAN"), "SOEPARMAN");
        assert_eq!(to_old_spelling("JOKO"), "DJOKO");
        assert_eq!(to_new_spelling("SOEKARNO"), "SUKARNO");
        assert_eq!(to_new_spelling("TJAHJONO"), "CAHJONO");
    }

    #[test]
    fn variants_change_the_name_the_way_sources_do() {
        let mut r = Rng::new(1, 1);
        let m = variant(
            &mut r,
            "MUHAMMAD RIZKY PRATAMA",
            NameVariant::Muhammad,
            false,
            "",
            1990,
        )
        .expect("applies");
        assert!(m.ends_with(" RIZKY PRATAMA") && !m.starts_with("MUHAMMAD "));
        assert_eq!(
            variant(&mut r, "SITI AMINAH", NameVariant::Siti, true, "", 1990).as_deref(),
            Some("SITTI AMINAH")
        );
        assert_eq!(
            variant(
                &mut r,
                "AHMAD",
                NameVariant::BinBinti,
                false,
                "SALEH HASAN",
                1990
            )
            .as_deref(),
            Some("AHMAD BIN SALEH")
        );
        assert_eq!(
            variant(
                &mut r,
                "SUPARMAN",
                NameVariant::Abbreviated,
                false,
                "",
                1990
            ),
            None
        );
        let t = typo(&mut r, "SUPARMAN");
        assert_ne!(t, "SUPARMAN");
    }

    #[test]
    fn names_are_upper_case_and_not_empty() {
        let mut r = Rng::new(3, 9);
        for t in [
            Tradition::Javanese,
            Tradition::Sundanese,
            Tradition::Malay,
            Tradition::Batak,
            Tradition::Minang,
            Tradition::Bugis,
            Tradition::Balinese,
            Tradition::Chinese,
            Tradition::Eastern,
            Tradition::Arabic,
        ] {
            for year in [1950, 1990, 2015] {
                let clan = draw_clan(&mut r, t);
                let c = NameContext {
                    tradition: t,
                    female: year == 1990,
                    birth_year: year,
                    clan,
                    birth_order: 1,
                };
                let n = full_name(&mut r, &c);
                assert!(!n.is_empty());
                assert_eq!(n, n.to_uppercase());
            }
        }
    }
}
