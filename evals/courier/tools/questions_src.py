# Source of the courier question set. Each row:
# (lang, slug, style, question, answer, contains)  -- answerable
# (lang, slug, style, question, None, None)         -- unanswerable near-miss
R = []
def A(lang, slug, style, q, a, c): R.append((lang, slug, style, q, a, c))
def U(lang, slug, style, q): R.append((lang, slug, style, q, None, None))

# ---------------- cenovnik (sr-Latn) ----------------
s = "cenovnik"
A("en", s, "plain", "How much does it cost to send a 3 kg parcel within Serbia with the normal (non-express) service?",
  "A parcel over 2 up to 5 kg costs 420 RSD with the Standard service.", ["420"])
A("en", s, "informal", "what's the heaviest box you guys will take",
  "The maximum weight of a single parcel is 31.5 kg.", ["31,5|31.5"])
A("en", s, "two-part", "What do you charge for cash on delivery on a 15,000 dinar item, and how much is insurance?",
  "Cash on delivery up to 20,000 RSD costs 150 RSD, and insurance costs 0.8% of the declared value (minimum 50 RSD).", ["150", "0,8|0.8"])
A("en", s, "typo", "how much is expres for a 700 gram paket?",
  "A parcel over 0.5 up to 2 kg costs 560 RSD with Ekspres.", ["560"])
A("en", s, "plain", "How do you work out the weight of a big but light box?",
  "You charge the greater of actual and volumetric weight, where volumetric weight is length × width × height in cm divided by 6,000.", ["6.000|6000|6,000"])
U("en", s, "plain", "Do you offer any discount on parcels for students or pensioners?")

A("sr-Latn", s, "typo", "koliko kosta slanje paketa od 12 kila standardno",
  "Paket od preko 10 do 20 kg košta 720 RSD uslugom Standard.", ["720"])
A("sr-Latn", s, "informal", "jel jeftinije ako saljem iz paketomata",
  "Da, slanje iz paketomata je jeftinije za 60 RSD od cene iz cenovnika.", ["60"])
A("sr-Latn", s, "plain", "Koliko se doplaćuje kad je paket duži od 120 cm?",
  "Paketi sa stranicom dužom od 120 cm su nestandardni i naplaćuju se uz doplatu od 50%.", ["50"])
A("sr-Latn", s, "two-part", "Koliko se plaća potvrda da je paket uručen, a koliko naznaka da je sadržaj lomljiv?",
  "Povratnica košta 80 RSD, a oznaka „Lomljivo“ sa posebnim rukovanjem 150 RSD.", ["80", "150"])
U("sr-Latn", s, "plain", "Imate li posebnu cenu za slanje auto-guma?")

A("sr-Cyrl", s, "plain", "Колико кошта експрес за пакет од 25 кила?",
  "Пакет преко 20 до 31,5 kg услугом Експрес кошта 1.290 RSD.", ["1.290|1290|1,290|1 290"])
A("sr-Cyrl", s, "informal", "колико кошта кад шаљем нешто од пола кила обично",
  "Пакет до 0,5 kg услугом Стандард кошта 290 RSD.", ["290"])
A("sr-Cyrl", s, "two-part", "Колика је накнада за поузеће од 50.000 динара и до које вредности могу да осигурам пакет?",
  "За откупнину преко 20.000 RSD накнада је 1% износа (овде 500 RSD), а највећа вредност за осигурање је 500.000 RSD.", ["1%|1 %|1 одсто|1 посто|500 RSD|500 динара", "500.000|500000|500 000"])
A("sr-Cyrl", s, "typo", "колко се доплаћује кад прималац плаћа доставу",
  "Опција да доставу плати прималац кошта 30 RSD.", ["30"])
U("sr-Cyrl", s, "plain", "Да ли пензионери имају попуст на слање пакета?")

# ---------------- rokovi-isporuke (sr-Cyrl) ----------------
s = "rokovi-isporuke"
A("en", s, "plain", "If I send a parcel to a village today with the regular service, how long will it take?",
  "Suburban and rural areas are zone 3, where Standard delivery takes 2 working days.", ["2 radna|2 working|two working|2 days|two days|dva radna|2 дана"])
A("en", s, "informal", "does express even work for kopaonik",
  "No, Kopaonik is in zone 4, where the Express service is not available.", ["not available|nije dostup|није доступ|unavailable|zone 4|zona 4|зона 4|zoni 4|зони 4"])
A("en", s, "two-part", "What's the latest I can drop a parcel at a shop so it leaves the same day, and what about a locker?",
  "Hand it in at a centre or parcel shop by 15:00, or at a parcel locker by 16:00.", ["15", "16"])
A("en", s, "two-part", "How much is same-day delivery in Belgrade and how heavy can the parcel be?",
  "Same-day delivery in Belgrade zone 1 costs 890 RSD for parcels up to 5 kg.", ["890", "5"])
A("en", s, "typo", "do you deliever on saturdays and how much extra",
  "Saturday delivery is possible only in zone 1, between 9 and 15 h, for an extra 250 RSD.", ["250"])
U("en", s, "plain", "Which zone is Zlatibor in and how long does standard delivery take there?")

A("sr-Latn", s, "typo", "za koliko dana stize paket na taru standardno",
  "Tara je u zoni 4, gde standardna isporuka traje 3 radna dana.", ["3 radna|tri radna|3 dana|tri dana|3 working"])
A("sr-Latn", s, "informal", "do kad ekspres stize u neko selo kod cacka",
  "U zoni 3 (seoska naselja) Ekspres stiže do 17 časova sledećeg radnog dana.", ["17"])
A("sr-Latn", s, "plain", "Koji dani u maju su neradni za dostavu?",
  "Ne radi se 1. i 2. maja.", ["1. i 2. maj|1 i 2 maj|1. и 2. мај"])
A("sr-Latn", s, "plain", "U koje doba dana kuriri raznose pakete?",
  "Kuriri dostavljaju radnim danima od 8 do 20 časova.", ["8", "20"])
A("sr-Latn", s, "plain", "Kolika je doplata da mi paket stigne u subotu?",
  "Dostava subotom moguća je samo u zoni 1, uz doplatu od 250 RSD.", ["250"])

A("sr-Cyrl", s, "plain", "Колико дуго иде обична пошиљка из Београда за Нови Сад?",
  "Нови Сад је у зони 1, па стандардна пошиљка стиже следећег радног дана.", ["следећ|наредн|sledeć|naredn|сутра|sutra"])
A("sr-Cyrl", s, "typo", "радите ли за васкрс",
  "Не радимо од Великог петка до Васкршњег понедељка по православном календару.", ["петк|петак|petk|petak"])
A("sr-Cyrl", s, "informal", "јел ћу знати бар отприлике кад курир долази",
  "Ујутру на дан доставе добијате SMS и e-mail са двосатним временским оквиром доласка курира.", ["двосат|dvosat|2 сата|два сата|2 sata|dva sata"])
A("sr-Cyrl", s, "two-part", "Ако експрес закасни, шта добијам назад и где то тражим?",
  "Можете тражити повраћај разлике између цене експрес и стандард услуге, подношењем рекламације.", ["разлик|razlik", "рекламац|reklamac"])
U("sr-Cyrl", s, "plain", "У којој зони је Врњачка Бања?")

# ---------------- paketomati (sr-Latn) ----------------
s = "paketomati"
A("en", s, "plain", "How long will my parcel stay in the locker before it goes back?",
  "It waits 72 hours from the SMS and can be extended once by 48 hours for free.", ["72"])
A("en", s, "two-part", "How big is the medium locker compartment and what's the weight limit?",
  "The M compartment is 19 × 38 × 64 cm and the maximum weight is 20 kg.", ["19 × 38 × 64|19x38x64|19 x 38 x 64", "20"])
A("en", s, "informal", "can i pay cash at the locker for my cod parcel",
  "No, cash-on-delivery parcels in a locker can be paid only by card, at the locker terminal or in the app.", ["card|kartic|картиц"])
A("en", s, "typo", "how do i extnd the time at the parcle locker",
  "You can extend the pickup period once, for free, by 48 hours in the app or via the link in the SMS.", ["48"])
A("en", s, "plain", "Can an express parcel be sent to a parcel locker?",
  "No, only Standard parcels can be delivered to a locker, not Express or Same day.", ["Standard|стандард"])
U("en", s, "plain", "How many parcel lockers do you have in Novi Sad?")

A("sr-Latn", s, "typo", "do kad obicno stize paket u paketomat",
  "Paket u paketomat obično stiže do 16 časova.", ["16"])
A("sr-Latn", s, "informal", "jel smem da stavim insulin iz frizidera u paketomat",
  "Ne, lekovi koji zahtevaju hlađenje ne stavljaju se u paketomat jer temperatura nije regulisana.", ["hlađenj|hladjenj|хлађењ|hladj"])
A("sr-Latn", s, "plain", "Koji je najveći iznos pouzeća ako paket ide u paketomat?",
  "Najveći iznos otkupnine za isporuku u paketomat je 50.000 RSD.", ["50.000|50000|50 000|50,000"])
A("sr-Latn", s, "two-part", "Koliko ukupno imate paketomata i da li rade i noću?",
  "Imamo više od 420 paketomata, a većina radi 0–24 (osim onih u objektima sa radnim vremenom).", ["420", "0-24|0–24|24/7|24 sata|non-stop|nonstop"])
U("sr-Latn", s, "plain", "Koliko košta mesečni zakup pregrade u paketomatu?")

A("sr-Cyrl", s, "plain", "Колико цифара има код којим отварам пакетомат?",
  "PIN код за пакетомат је шестоцифрен, а добијате и QR код.", ["шестоцифр|sestocifr|šestocifr|6 цифара|6 cifara|шест цифара|sest cifara"])
A("sr-Cyrl", s, "typo", "колике су димензије XL прегаде",
  "XL преграда има 60 × 50 × 64 cm.", ["60 × 50 × 64|60x50x64|60 x 50 x 64"])
A("sr-Cyrl", s, "informal", "морам ли да штампам налепницу ако шаљем из пакетомата",
  "Не, налепница није потребна јер је курир штампа када празни пакетомат.", ["није потребн|nije potrebn|не треба|ne treba|not needed"])
A("sr-Cyrl", s, "plain", "Може ли пакет од 25 кг да се испоручи у пакетомат?",
  "Не, највећа тежина за пакетомат је 20 kg; тежи пакети се преусмеравају у најближи пакет-шоп.", ["20"])
U("sr-Cyrl", s, "plain", "Да ли пакетомати имају видео-надзор?")

# ---------------- punktovi (sr-Cyrl) ----------------
s = "punktovi"
A("en", s, "plain", "What are the Saturday opening hours of the Paketić centre in New Belgrade?",
  "The Belgrade centre in Novi Beograd is open on Saturdays from 09 to 15.", ["9", "15"])
A("en", s, "informal", "how many days have i got to grab my parcel from the kiosk",
  "A parcel waits at a parcel shop for 7 calendar days from the SMS.", ["7|seven|седам|sedam"])
A("en", s, "two-part", "Can my wife collect my parcel at the shop, and what does she have to bring?",
  "Yes, she needs the pickup code, her own ID card and your written authorisation.", ["ovlašćenj|ovlascenj|овлашћењ|authoris|authoriz", "лич|ličn|licn|ID|identity"])
A("en", s, "typo", "wats the biggest box i can drop of at a partner shop",
  "Partner parcel shops accept parcels up to 60 × 50 × 50 cm and 20 kg.", ["60 × 50 × 50|60x50x50|60 x 50 x 50"])
A("en", s, "plain", "What is the address of your centre in Niš?",
  "The Niš centre is at Vožda Karađorđa 21.", ["Вожда Карађорђа|Vožda Karađorđa|Vozda Karadjordja|Vozda Karadordja"])
U("en", s, "plain", "Which parcel shops in Zemun are open late at night?")

A("sr-Latn", s, "typo", "dal mogu da produzim rok za podizanje u paket sopu",
  "Ne, rok od 7 dana u paket-šopu ne može se produžiti.", ["ne može|ne moze|не може|nije moguć|nije moguc"])
A("sr-Latn", s, "plain", "Da li mi treba lična karta da podignem paket sa pouzećem u punktu?",
  "Da, za pošiljku sa otkupninom morate pokazati ličnu kartu ili pasoš.", ["lična karta|ličnu kartu|licna karta|licnu kartu|pasoš|pasos|пасош"])
A("sr-Latn", s, "informal", "do kad radi paketic centar u novom sadu preko nedelje",
  "Centar u Novom Sadu radi radnim danima od 08 do 19 časova.", ["19"])
A("sr-Latn", s, "two-part", "Koliko kila najviše prima partnerski punkt, a koliko vaš centar?",
  "Partnerski punkt prima do 20 kg, a Paketić centar do 31,5 kg.", ["20", "31,5|31.5"])
U("sr-Latn", s, "plain", "Ima li parking kod Paketić centra u Beogradu?")

A("sr-Cyrl", s, "plain", "До колико сати треба да предам пакет у пункту да би кренуо истог дана?",
  "Пошиљке предате у пункту до 15:00 отпремају се истог радног дана.", ["15"])
A("sr-Cyrl", s, "informal", "немам штампач, хоће ли ми у пункту одштампати налепницу",
  "Да, у пункту вам налепницу штампају бесплатно, довољан је код из апликације.", ["бесплатн|besplatn|free"])
A("sr-Cyrl", s, "typo", "колко има пунктова у србији",
  "Пакет можете послати или преузети на више од 650 места у Србији.", ["650"])
A("sr-Cyrl", s, "plain", "Где се налази Пакетић центар у Новом Саду?",
  "Центар у Новом Саду је у Футошкој 44.", ["Футошк|Futošk|Futosk"])
U("sr-Cyrl", s, "plain", "Колико кошта скенирање или копирање докумената у Пакетић центру?")

# ---------------- pracenje-posiljke (sr-Latn) ----------------
s = "pracenje-posiljke"
A("en", s, "plain", "What does a tracking number for a parcel inside Serbia look like?",
  "It has 12 characters: the letters PE followed by 10 digits, e.g. PE2501234567.", ["PE", "10|12"])
A("en", s, "informal", "my parcel has been stuck in the sorting centre for 4 days, should i contact you",
  "Yes, contact support if the status hasn't changed for more than 3 working days.", ["3"])
A("en", s, "typo", "tracking says deliverd but i never got it what do i do",
  "Contact support within 24 hours if a parcel is marked delivered but you did not receive it.", ["24"])
A("en", s, "two-part", "Can I check where my parcel is by text message, and what does that cost?",
  "Yes, send the tracking number by SMS to 8585; the message is charged at your operator's rate.", ["8585", "operat|оператер"])
A("en", s, "plain", "What does the status 'Kod kurira' mean?",
  "It means the parcel is in the courier's vehicle and will be delivered today.", ["today|danas|данас"])
U("en", s, "plain", "How long does a parcel usually take to get from the Surčin sorting centre to Niš?")

A("sr-Latn", s, "typo", "koliko znakova ima broj posiljke za inostranstvo",
  "Međunarodni broj ima 13 znakova: PX, 9 cifara i RS.", ["13"])
A("sr-Latn", s, "plain", "Koliko dugo posle isporuke mogu da vidim istoriju kretanja paketa?",
  "Istorija praćenja čuva se 90 dana nakon uručenja.", ["90"])
A("sr-Latn", s, "informal", "kad mogu da vidim kurira na mapi uzivo",
  "Kad je kurir udaljen 5 ili manje adresa od vas, vozilo možete pratiti na mapi u aplikaciji.", ["5|pet"])
A("sr-Latn", s, "two-part", "Koliko brzo se osvežava status i gde su vam sortirni centri?",
  "Status se ažurira najkasnije 30 minuta posle skeniranja, a sortirni centri su u Beogradu (Surčin), Novom Sadu i Nišu.", ["30", "Surčin|Surcin|Сурчин"])
U("sr-Latn", s, "plain", "Mogu li da pratim pošiljku preko Telegrama?")

A("sr-Cyrl", s, "plain", "Шта значи кад пише да је пошиљка „Креирана“?",
  "То значи да је пошиљалац направио налепницу, али пошиљку још нисмо преузели.", ["налепниц|nalepnic|label"])
A("sr-Cyrl", s, "informal", "продавац ми послао број пошиљке а сајт каже да не постоји ни после целог дана",
  "Ако број није пронађен ни 24 сата након што вам га је пошиљалац послао, обратите се подршци.", ["24"])
A("sr-Cyrl", s, "typo", "мора ли се број уносит са размацима",
  "Не, број пошиљке уноси се без размака.", ["без размака|bez razmaka|without spaces"])
A("sr-Cyrl", s, "plain", "Могу ли да пратим пакет у апликацији ако нисам улогован?",
  "Да, пошиљку можете пратити у апликацији и без пријаве на налог.", ["без пријаве|bez prijave|without"])
A("sr-Cyrl", s, "two-part", "Како изгледа број пошиљке за иностранство и где могу да га пратим?",
  "Има 13 знакова (PX, 9 цифара и RS), а пратите га на paketic.example/pracenje или у апликацији.", ["PX", "pracenje|апликациј|aplikacij|SMS|Viber"])

# ---------------- neuspesna-dostava (sr-Cyrl) ----------------
s = "neuspesna-dostava"
A("en", s, "plain", "How many times will the courier try to deliver before the parcel goes to a pickup point?",
  "You get two free delivery attempts; after the second failed one the parcel goes to the nearest parcel shop or centre.", ["2|two|два|dva"])
A("en", s, "informal", "i'm away this week can i push the delivery back",
  "Yes, via the SMS link or app you can postpone delivery by up to 5 working days for free.", ["5"])
A("en", s, "two-part", "How much is it to send my parcel to a different address, and can it go to another town?",
  "Redirecting to another address in the same city costs 150 RSD; redirecting to another city is not possible.", ["150", "not possible|nije moguć|nije moguc|није могућ|cannot|can't|can not"])
A("en", s, "typo", "can the curier leave the parcel at my door if im not home",
  "Only if you have explicitly approved it in the app and the parcel has no cash on delivery.", ["app|апликациј|aplikacij"])
A("en", s, "plain", "I'm selling stuff online – if the buyer refuses the parcel, do I get my cash-on-delivery fee back?",
  "No, the cash-on-delivery fee and paid extra services are not refunded when a parcel is returned.", ["not refunded|not be refunded|non-refundable|no refund|ne vraća|не враћ"])
U("en", s, "plain", "How much does a fourth delivery attempt cost?")

A("sr-Latn", s, "typo", "kolko kosta treci pokusaj dostave",
  "Treći pokušaj dostave na adresu naplaćuje se 200 RSD.", ["200"])
A("sr-Latn", s, "informal", "poslao sam paket na pogresnu adresu sta sad",
  "Kontaktiraćemo vas, a adresu možete besplatno ispraviti u aplikaciji u roku od 3 radna dana.", ["3"])
A("sr-Latn", s, "plain", "Za koliko dana mi vraćeni paket stigne nazad?",
  "Vraćena pošiljka stiže pošiljaocu za 3 do 5 radnih dana.", ["3", "5"])
A("sr-Latn", s, "two-part", "Do kada mogu da promenim termin dostave i da li se to plaća?",
  "Najkasnije do 8 časova na dan dostave, a odlaganje je besplatno.", ["8", "besplatn|бесплатн|free"])
U("sr-Latn", s, "plain", "Da li kurir može da ostavi paket u poštanskom sandučetu?")

A("sr-Cyrl", s, "plain", "Колико дуго чувате пошиљку ако пошиљалац одбије да је прими назад?",
  "Таква пошиљка се чува у складишту 60 дана.", ["60"])
A("sr-Cyrl", s, "informal", "курир ме два пута није нашао код куће, где ми је сад пакет",
  "Пакет је у најближем пакет-шопу или Пакетић центру, где чека 7 календарских дана.", ["7|седам|sedam"])
A("sr-Cyrl", s, "typo", "може ли прималц да одбије пакет без разлога",
  "Да, прималац може одбити пошиљку без образложења.", ["без образложења|без разлога|bez obrazlož|bez obrazloz|bez razloga|without"])
A("sr-Cyrl", s, "plain", "Може ли курир пакет са откупнином да остави код комшије?",
  "Не, пошиљке са откупнином не могу се оставити код комшије.", ["не могу|ne mogu|cannot|can't|не може|ne moze|ne može"])
U("sr-Cyrl", s, "plain", "Колико пута ће ме курир звати телефоном пре него што оде?")

# ---------------- zabranjeni-predmeti (sr-Latn) ----------------
s = "zabranjeni-predmeti"
A("en", s, "plain", "Can I send a power bank by itself?",
  "No, standalone lithium batteries and power banks are prohibited.", ["power bank"])
A("en", s, "informal", "can i post a bottle of rakija to my friend in nis",
  "Yes, up to 5 litres in original sealed packaging, delivered only to a person over 18 with ID.", ["5"])
A("en", s, "two-part", "How many deodorant sprays can go in one parcel and how big can each one be?",
  "At most 3 aerosols, up to 300 ml each.", ["3", "300"])
A("en", s, "typo", "is it ok to send perfum and how much of it",
  "Yes, perfumes and alcohol-based cosmetics are allowed up to 500 ml in total per parcel.", ["500"])
A("en", s, "plain", "What happens if you find something forbidden in my box?",
  "The parcel is stopped and returned at the sender's cost with a 500 RSD handling fee.", ["500"])
U("en", s, "plain", "Can I send a hunting knife within Serbia?")

A("sr-Latn", s, "typo", "smem li da posaljem laptop posto ima bateriju",
  "Da, ako je baterija ugrađena, do 100 Wh po bateriji i najviše 2 baterije po paketu.", ["100"])
A("sr-Latn", s, "plain", "Mogu li da pošaljem lekove na recept rođaku?",
  "Ne, lekove na recept šalju samo apoteke sa ugovorom; dozvoljeni su samo lekovi bez recepta.", ["apotek|апотек|pharmac"])
A("sr-Latn", s, "informal", "saljem mami cvece u saksiji moze li",
  "Može, u zatvorenoj kutiji i samo uslugom Ekspres.", ["Ekspres|Експрес|express"])
A("sr-Latn", s, "two-part", "Kako da pošaljem zlatnu ogrlicu i da li dobijam odštetu ako se ispostavi da sam poslao nešto zabranjeno?",
  "Nakit se šalje samo kao osigurana pošiljka, a za zabranjene predmete ne isplaćuje se naknada ni kad su osigurani.", ["osigur|осигур|insur", "ne isplać|ne isplac|не исплаћ|not|nema naknad|bez naknad|ne dobija"])
U("sr-Latn", s, "plain", "Mogu li da pošaljem seme za sadnju nekome u Srbiji?")

A("sr-Cyrl", s, "plain", "Могу ли да пошаљем петарде за Нову годину?",
  "Не, пиротехника и петарде су забрањене.", ["петард|пиротехн|petard|pirotehn"])
A("sr-Cyrl", s, "informal", "јел могу да пошаљем брату паре у коверти у пакету",
  "Не, слање готовог новца је забрањено.", ["новац|novac|готов|gotov"])
A("sr-Cyrl", s, "typo", "колко литара алкохола смем да пошањем",
  "Дозвољено је до 5 литара по пошиљци, у оригиналном затвореном паковању.", ["5"])
A("sr-Cyrl", s, "plain", "Шта радите са опасним материјама које пронађете у пакету?",
  "Опасне материје предајемо надлежним органима.", ["надлежн|nadležn|nadlezn"])
U("sr-Cyrl", s, "plain", "Да ли смем да пошаљем ловачки нож?")

# ---------------- pakovanje (sr-Cyrl) ----------------
s = "pakovanje"
A("en", s, "plain", "What's the longest a parcel can be?",
  "The longest side can be at most 150 cm.", ["150"])
A("en", s, "two-part", "How much is a medium box at your centre and what size is it?",
  "The M box costs 90 RSD and measures 40 × 30 × 20 cm.", ["90", "40 × 30 × 20|40x30x20|40 x 30 x 20"])
A("en", s, "informal", "can i just send clothes in a plastic bag",
  "Yes, soft items up to 2 kg can go in an opaque, sealable plastic bag.", ["2"])
A("en", s, "typo", "how much paddin do i need around a glass vase",
  "At least 5 cm of padding, using a box-in-a-box.", ["5"])
A("en", s, "plain", "Will you pay out if something breaks because I packed it badly?",
  "No, damage caused by inadequate packaging is not compensated.", ["не надокнађ|ne nadoknađ|ne nadoknad|not compensat|not covered|no compensation|won't|will not"])
U("en", s, "plain", "Do you sell packing peanuts at the Paketić centres?")

A("sr-Latn", s, "typo", "kolko kosta folija sa mehuricima",
  "Folija sa mehurićima košta 50 RSD po metru.", ["50"])
A("sr-Latn", s, "plain", "Koliko sme da bude dužina plus obim paketa?",
  "Zbir dužine i obima može biti najviše 300 cm.", ["300"])
A("sr-Latn", s, "informal", "saljem paket od 15 kila kakva kutija mi treba",
  "Za sadržaj teži od 10 kg treba kutija od petoslojnog (dvostrukog talasastog) kartona.", ["petoslojn|петослојн"])
A("sr-Latn", s, "two-part", "Koliko košta velika kutija kod vas, a koliko rolna selotejpa?",
  "Kutija L košta 150 RSD, a lepljiva traka 120 RSD po rolni.", ["150", "120"])
U("sr-Latn", s, "plain", "Da li prodajete kutije za flaše vina?")

A("sr-Cyrl", s, "plain", "Како треба да облепим кутију траком?",
  "Лепљивом траком у облику слова „Н“ по горњој и доњој страни.", ["облику слова|obliku slova|letter H|H shape|H-shape"])
A("sr-Cyrl", s, "informal", "где да залепим налепницу на кутију",
  "На највећу страну кутије, не преко ивица и трака.", ["највећ|najveć|najvec|largest"])
A("sr-Cyrl", s, "typo", "колике су најмање димензије пакетаа",
  "Најмање димензије су 14 × 9 cm.", ["14", "9"])
A("sr-Cyrl", s, "plain", "Може ли курир да не прими пакет ако није добро упакован?",
  "Да, курир има право да одбије пакет који није прописно упакован.", ["право|pravo|може|moze|može|can"])
U("sr-Cyrl", s, "plain", "Колико кошта кутија величине XL у вашим центрима?")

# ---------------- reklamacije (sr-Latn) ----------------
s = "reklamacije"
A("en", s, "plain", "How many days do I have to report damage I only noticed after opening the box?",
  "Hidden damage must be reported within 3 days of delivery.", ["3|three|три|tri"])
A("en", s, "two-part", "When does a missing parcel count as lost, and what's the last moment to file a claim?",
  "A domestic parcel is lost if not delivered within 10 days of hand-over, and you can claim until 6 months after hand-over.", ["10", "6 mesec|6 month|six month|шест месец|6 месец|sest mesec"])
A("en", s, "informal", "whats the most you'd pay if my uninsured parcel got smashed",
  "For an uninsured parcel you pay the actual damage up to 5,000 RSD.", ["5.000|5000|5,000|5 000"])
A("en", s, "typo", "wat documents do i need for a damage claim",
  "The tracking number, photos of the damage and packaging, a receipt or invoice proving value, the damage report if any, and your bank account number.", ["фото|photo|fotograf", "račun|racun|invoice|faktur|receipt"])
A("en", s, "plain", "How soon will you reply to my complaint?",
  "Claims are answered within 8 days and resolved within 30 days at most.", ["8"])
U("en", s, "plain", "Is there a fee for filing a damage claim?")

A("sr-Latn", s, "typo", "za koliko dana isplacujete odstetu kad odobrite",
  "Odobrena naknada isplaćuje se u roku od 15 dana.", ["15"])
A("sr-Latn", s, "plain", "Može li onaj ko je primio paket sam da se žali zbog oštećenja?",
  "Primalac može podneti reklamaciju samo uz pisanu saglasnost pošiljaoca.", ["saglasn|сагласн|consent"])
A("sr-Latn", s, "informal", "ekspres mi kasnio jedan dan dobijam li nesto nazad",
  "Dobijate razliku između cene usluga Ekspres i Standard ako reklamaciju podnesete u roku od 30 dana.", ["razlik|разлик"])
A("sr-Latn", s, "two-part", "Koliko dobijam za izgubljena dokumenta i vraćate li mi novac za prevoz?",
  "Za dokumente naknada je 2.000 RSD, a kod gubitka se vraća i plaćena cena prevoza.", ["2.000|2000|2,000|2 000", "prevoz|превоз|shipping|postage"])
U("sr-Latn", s, "plain", "Ko plaća veštačenje oštećenog predmeta ako bude potrebno?")

A("sr-Cyrl", s, "plain", "До када могу да се жалим што је експрес пошиљка стигла касно?",
  "Рекламацију због кашњења треба поднети у року од 30 дана од уручења.", ["30"])
A("sr-Cyrl", s, "typo", "да ли надокнађујете покварену храну",
  "Не, штету на кварљивој роби не надокнађујемо.", ["кварљив|kvarljiv|perish"])
A("sr-Cyrl", s, "informal", "кутија стигла скроз мокра, шта да радим док је курир ту",
  "Можете одбити пошиљку или тражити да курир са вама сачини записник о оштећењу.", ["записник|zapisnik"])
A("sr-Cyrl", s, "plain", "Колико највише можете да платите за оштећену осигурану пошиљку?",
  "До пријављене вредности, највише 500.000 RSD.", ["500.000|500000|500 000"])
A("sr-Cyrl", s, "two-part", "На коју адресу шаљем рекламацију мејлом и треба ли да чувам кутију?",
  "На reklamacije@paketic.example, а амбалажу и садржај треба сачувати док се рекламација не реши.", ["reklamacije@paketic.example", "амбалаж|ambalaž|ambalaz|packag|сачува|sačuva"])

# ---------------- otkupnina (sr-Cyrl) ----------------
s = "otkupnina"
A("en", s, "plain", "What's the highest cash-on-delivery amount you allow per parcel?",
  "The maximum cash-on-delivery amount is 200,000 RSD per parcel.", ["200.000|200000|200,000|200 000"])
A("en", s, "informal", "when do i actually get the cod money as a private seller",
  "Private individuals receive the amount on their bank account within 2 working days of delivery.", ["2|two|два|dva"])
A("en", s, "two-part", "Can the buyer open the parcel before paying, and how much does that option cost?",
  "Only if the sender enabled the 'open before payment' option, which costs 50 RSD.", ["опциј|opcij|option|only if", "50"])
A("en", s, "typo", "can i pay the cod with a card to the curier",
  "Yes, all couriers carry a POS terminal, so you can pay by card (or cash or IPS QR).", ["картиц|card|kartic|POS"])
A("en", s, "plain", "Can I pick up my cash-on-delivery money in cash?",
  "No, payouts go only to a bank (current) account; cash payout is not possible.", ["текући рачун|tekući račun|tekuci racun|bank account|current account"])
U("en", s, "plain", "Can I change the cash-on-delivery amount after the parcel has already been sent?")

A("sr-Latn", s, "typo", "koliko kosta otkupnina za 8000 dinara",
  "Naknada za otkupninu do 20.000 RSD je 150 RSD.", ["150"])
A("sr-Latn", s, "plain", "Koliko najviše kusura kurir može da vrati?",
  "Kurir ne može da vrati kusur veći od 5.000 RSD.", ["5.000|5000|5 000|5,000"])
A("sr-Latn", s, "informal", "kupac hoce da zadrzi samo pola stvari iz paketa a ostalo da vrati moze li",
  "Ne, delimično preuzimanje nije moguće.", ["nije moguć|nije moguc|није могућ|not possible|ne može|ne moze"])
A("sr-Latn", s, "two-part", "Koji je najmanji iznos pouzeća i koliko najviše može za paketomat?",
  "Najmanja otkupnina je 100 RSD, a za paketomat najviše 50.000 RSD.", ["100", "50.000|50000|50 000"])
A("sr-Latn", s, "plain", "Ako kupac odbije paket sa otkupninom, da li mi vraćate naknadu za otkupninu?",
  "Ne, naknada za otkupninu se ne vraća, a povraćaj se naplaćuje po ceni usluge Standard.", ["ne vraća|ne vraca|не враћа|not refunded"])

A("sr-Cyrl", s, "plain", "Ко плаћа накнаду за откупнину?",
  "Накнаду плаћа пошиљалац, осим ако није изабрао да доставу плаћа прималац.", ["пошиљал|pošiljal|posiljal|sender"])
A("sr-Cyrl", s, "informal", "фирма смо са уговором, колико често нам легну паре од откупнине",
  "Правним лицима са уговором исплата је сваког радног дана за претходни дан.", ["сваког радног дана|svakog radnog dana|every working day|сваки радни дан|svaki radni dan|дневно|dnevno|daily"])
A("sr-Cyrl", s, "typo", "шта ако сам укуцо погрешан текући рачун за исплату",
  "Исплата се задржава док не исправите број рачуна у апликацији.", ["задржава|zadržava|zadrzava|held|hold"])
A("sr-Cyrl", s, "plain", "Како се плаћа поузеће кад пакет стоји у пакетомату?",
  "У пакетомату се откупнина плаћа само платном картицом, на терминалу или у апликацији.", ["картиц|kartic|card"])
U("sr-Cyrl", s, "plain", "Може ли откупнина да ми се исплати на рачун у страној банци?")

# ---------------- nalog-i-aplikacija (sr-Latn) ----------------
s = "nalog-i-aplikacija"
A("en", s, "plain", "Which Android version do I need for the Paketić app?",
  "Android 8.0 or newer (iOS 15 or newer).", ["8.0|8"])
A("en", s, "informal", "how long is the sms code good for when signing up",
  "The six-digit SMS code is valid for 10 minutes.", ["10"])
A("en", s, "two-part", "How do the loyalty points work – how do I earn them and what are they worth?",
  "You get 1 point for every 100 RSD spent, and 50 points can be exchanged for a 250 RSD discount.", ["100", "250"])
A("en", s, "typo", "i forgot my pasword how long does the reset link work",
  "The password reset link is valid for 24 hours.", ["24"])
A("en", s, "plain", "Can I use the app in English?",
  "Yes, the app is available in Serbian (Latin and Cyrillic) and English.", ["English|engleski|енглески|engleskom|енглеском"])
U("en", s, "plain", "Is the Paketić app available on Huawei phones through AppGallery?")

A("sr-Latn", s, "typo", "zakljucao mi se nalog koliko moram da cekam",
  "Posle 5 neuspešnih pokušaja nalog se zaključava na 30 minuta.", ["30"])
A("sr-Latn", s, "plain", "Koliko dugo mogu da iskoristim skupljene poene?",
  "Poeni važe 12 meseci od dana kada su stečeni.", ["12"])
A("sr-Latn", s, "informal", "hocu da ugasim nalog a imam pare na novcaniku sta bude sa njima",
  "Ostatak novca sa Paketić novčanika vraćamo na vaš tekući račun, a nalog se briše u roku od 30 dana.", ["tekući račun|tekuci racun|текући рачун|bank"])
A("sr-Latn", s, "two-part", "Koliko adresa mogu da sačuvam i koliko unazad vidim stare pošiljke?",
  "Adresar čuva najviše 50 adresa, a istorija pošiljaka je dostupna za poslednja 24 meseca.", ["50", "24"])
U("sr-Latn", s, "plain", "Da li aplikacija Paketić radi na pametnom satu?")

A("sr-Cyrl", s, "plain", "Колико година треба да имам да бих направио налог?",
  "Налог могу отворити особе старије од 16 година.", ["16"])
A("sr-Cyrl", s, "informal", "изгубио сам стари број, како да ставим нови број на налог",
  "Обратите се подршци; биће потребна фотографија личне карте.", ["личн|ličn|licn|ID"])
A("sr-Cyrl", s, "typo", "дал се плаћају смс обавештења",
  "Не, SMS обавештења о вашим пошиљкама су бесплатна.", ["бесплатн|besplatn|free"])
A("sr-Cyrl", s, "plain", "Добијам ли поене и за пакете које плаћа фирма по уговору?",
  "Не, поени се не добијају за пошиљке које правна лица плаћају по уговору.", ["не добија|ne dobija|don't|do not|not earn|no points"])
A("sr-Cyrl", s, "two-part", "Колико најмање знакова мора да има лозинка и може ли се укључити пријава у два корака?",
  "Лозинка мора имати најмање 8 знакова са бар једном цифром, а двостепена пријава се укључује у Подешавања → Безбедност.", ["8", "двостеп|dvostep|two-factor|2FA|two-step"])

# ---------------- placanje-i-racuni (sr-Cyrl) ----------------
s = "placanje-i-racuni"
A("en", s, "plain", "Do you take American Express?",
  "No, American Express and Diners cards are not accepted.", ["не прихват|ne prihvat|not accept|don't accept|do not accept"])
A("en", s, "informal", "whats the minimum top up for the wallet thing",
  "The minimum Paketić wallet top-up is 500 RSD.", ["500"])
A("en", s, "two-part", "When do contract companies get their monthly invoice, and how long do they have to pay it?",
  "The monthly invoice is issued by the 5th of the following month, with 15 days to pay.", ["5", "15"])
A("en", s, "typo", "how long does a refund to my card tkae if i cancel",
  "Refunds to a card take up to 7 working days.", ["7|seven|седам|sedam"])
A("en", s, "plain", "If I pay with a foreign card, what currency am I charged in?",
  "You are charged in Serbian dinars (RSD); your bank sets the exchange rate.", ["RSD|dinar|динар"])
U("en", s, "plain", "Can I pay for shipping with cryptocurrency?")

A("sr-Latn", s, "typo", "kolko najvise para moze da stoji na paketic novcaniku",
  "Na novčaniku može biti najviše 50.000 RSD.", ["50.000|50000|50 000"])
A("sr-Latn", s, "plain", "Mogu li naknadno da dobijem račun na firmu sa PIB-om?",
  "Ne, PIB treba uneti pre plaćanja jer se izdat fiskalni račun ne može naknadno menjati.", ["pre plaćanja|pre placanja|пре плаћања|before"])
A("sr-Latn", s, "informal", "hocu da primalac plati dostavu koliko je to vise",
  "Opcija da dostavu plati primalac košta dodatnih 30 RSD.", ["30"])
A("sr-Latn", s, "two-part", "Može li Google Pay i da li primate čekove?",
  "Google Pay je dostupan u aplikaciji i na sajtu, a čekovi se ne primaju.", ["Google Pay", "чеков|čekov|cekov|cheque|check"])
U("sr-Latn", s, "plain", "Kolika je zatezna kamata ako firma kasni sa plaćanjem fakture?")

A("sr-Cyrl", s, "plain", "Где могу да нађем копије старих рачуна?",
  "У апликацији, у одељку „Плаћања“, за последња 24 месеца.", ["Плаћањ|Plaćanj|Placanj|Payments"])
A("sr-Cyrl", s, "informal", "ако платим кеш па откажем пошиљку где ми враћате паре",
  "Плаћања готовином враћамо на Пакетић новчаник или на текући рачун.", ["новчаник|novčanik|novcanik|wallet"])
A("sr-Cyrl", s, "typo", "да ли примате динакарт",
  "Да, DinaCard картице се прихватају.", ["DinaCard|Dinacard|Dina card"])
A("sr-Cyrl", s, "plain", "Шта се дешава ако прималац неће да плати доставу?",
  "Пошиљка се враћа, а трошкове сноси пошиљалац.", ["пошиљалац|pošiljalac|posiljalac|sender"])
U("sr-Cyrl", s, "plain", "Могу ли да платим доставу на рате?")

# ---------------- kontakt (sr-Latn) ----------------
s = "kontakt"
A("en", s, "plain", "What's your customer service phone number?",
  "The contact centre number is 011 7200 300.", ["7200 300|7200300"])
A("en", s, "informal", "is anyone there on sunday if i need help",
  "On Sundays and holidays only the chat works (daily 7–22); the contact centre is closed.", ["chat|čet|чет|cet"])
A("en", s, "two-part", "When can I get phone support in English, and what number do I dial from abroad?",
  "English phone support is available on working days 9–17, and from abroad you call +381 11 7200 300.", ["9", "+381 11 7200 300|+381117200300"])
A("en", s, "typo", "whats the emial for complaints",
  "Claims go to reklamacije@paketic.example.", ["reklamacije@paketic.example"])
A("en", s, "plain", "Can I go to the local depot to collect my parcel?",
  "No, depots are not open to the public; parcels are collected at Paketić centres, parcel shops and lockers.", ["nisu otvoreni|not open|нису отворени"])
A("en", s, "informal", "what hours is the live chat on",
  "The chat on the website and in the app works every day from 7 to 22.", ["7", "22"])

A("sr-Latn", s, "typo", "do kad radi kol centar subotom",
  "Kontakt centar subotom radi od 8 do 15 časova.", ["15"])
A("sr-Latn", s, "plain", "Za koliko vremena odgovarate na mejl?",
  "Na e-mail odgovaramo u roku od 24 sata radnim danima.", ["24"])
A("sr-Latn", s, "informal", "imate li viber za podrsku",
  "Da, Viber i WhatsApp na broju +381 60 7200 300.", ["60 7200 300|0607200300|607200300"])
A("sr-Latn", s, "two-part", "Koji je broj telefona za firme i do koliko sati rade?",
  "Poslovni korisnici zovu 011 7200 310, radnim danima od 8 do 17.", ["7200 310|7200310", "17"])
U("sr-Latn", s, "plain", "Koji je vaš broj faksa?")

A("sr-Cyrl", s, "plain", "Колико кошта позив вашем контакт центру?",
  "Позив се наплаћује по цени локалног позива у фиксној мрежи, по тарифи оператера.", ["локал|lokal|local"])
A("sr-Cyrl", s, "informal", "како да дођем до броја курира који ми носи пакет",
  "Број курира се приказује у апликацији када пошиљка има статус „Код курира“.", ["Kod kurira|Код курира"])
A("sr-Cyrl", s, "typo", "која је адреса фирме пакетић експрес",
  "Пакетић Експрес д.о.о. је на адреси Аутопут за Загреб 41, 11080 Земун, Београд.", ["Zagreb|Загреб", "41"])
A("sr-Cyrl", s, "plain", "Где у Пакетић центру могу да упишем примедбу?",
  "У књигу утисака (књигу приговора), која постоји у сваком Пакетић центру.", ["књиг|knjig"])
U("sr-Cyrl", s, "plain", "Да ли имате корисничку подршку на руском језику?")

# ---------------- slanje-posiljke (sr-Cyrl) ----------------
s = "slanje-posiljke"
A("en", s, "plain", "How much does it cost to get a courier to collect a parcel from my flat?",
  "Pickup from your address costs 100 RSD per visit for private individuals (up to 5 parcels).", ["100"])
A("en", s, "informal", "if i book a pickup at noon in novi sad will they come today",
  "Yes, pickups ordered by 13:00 in zones 1 and 2 are done the same working day.", ["13"])
A("en", s, "two-part", "Is cancelling a booked pickup free, and until what time?",
  "Cancelling is free until 8:00 on the pickup day; later cancellation costs 100 RSD.", ["бесплатн|besplatn|free", "8"])
A("en", s, "typo", "whats the labell size and do i need a printer",
  "The label is A6 (10 × 15 cm) PDF; if you have no printer, the courier or parcel shop prints it for free.", ["A6", "бесплатн|besplatn|free"])
A("en", s, "plain", "How many packages can go in one shipment to the same address?",
  "One shipment can contain up to 10 packages for the same address.", ["10"])
U("en", s, "plain", "Can the courier bring packing boxes when he comes to pick up my parcel?")

A("sr-Latn", s, "typo", "moze li kurir da dodje po paket u subotu u nisu",
  "Ne, preuzimanje subotom postoji samo u Beogradu (zona 1).", ["Beograd|Београд"])
A("sr-Latn", s, "plain", "Koliko košta da kurir dođe po paket subotom u Beogradu?",
  "Preuzimanje subotom u Beogradu košta 300 RSD.", ["300"])
A("sr-Latn", s, "informal", "mogu li da posaljem paket a da ne pravim nalog",
  "Možete, ali bez naloga ne dobijate Paketić poene.", ["поен|poen|points"])
A("sr-Latn", s, "two-part", "Koliko traje termin u kom kurir dolazi i između kojih sati mogu da biram?",
  "Birate vremenski okvir od 3 sata između 9 i 18 časova.", ["3", "18"])
A("sr-Latn", s, "typo", "kolko se placa ako otkazem preuzimanje posle 8 ujutru",
  "Otkazivanje posle 8:00 na dan preuzimanja naplaćuje se 100 RSD.", ["100"])

A("sr-Cyrl", s, "plain", "Колико пакета највише курир може да узме одједном од приватног лица?",
  "Највише 5 пакета по доласку.", ["5"])
A("sr-Cyrl", s, "informal", "да ли курир отвара пакет да види шта је унутра",
  "Не, курир не отвара пакете.", ["не отвара|ne otvara|does not open|doesn't open"])
A("sr-Cyrl", s, "typo", "до кад трбам да закажем суботње преузимање",
  "Суботње преузимање заказује се до петка у 18:00.", ["петк|petk|Friday|петак|petak", "18"])
A("sr-Cyrl", s, "plain", "Да ли фирма са уговором плаћа долазак курира по пакете?",
  "Не, за правна лица са уговором преузимање је бесплатно.", ["бесплатн|besplatn|free"])
U("sr-Cyrl", s, "plain", "Може ли курир да донесе кутију за паковање кад дође по пакет?")

# ---------------- international-shipping (en) ----------------
s = "international-shipping"
A("en", s, "plain", "How long does a parcel take to get to Germany?",
  "Germany is in zone EU-2, with delivery in 4–6 working days (plus customs time).", ["4-6|4–6|4 to 6|4 do 6|4 и 6|4 i 6"])
A("en", s, "plain", "How much is it to send 3 kg to Croatia?",
  "A 2–5 kg parcel to Croatia (EU-1) costs 2,490 RSD.", ["2,490|2490|2.490|2 490"])
A("en", s, "informal", "can i send my mums perfume to her in vienna",
  "No, perfumes cannot be sent abroad.", ["perfume|parfem|парфем"])
A("en", s, "two-part", "What customs form do I need for a 50 euro gift to Italy, and who pays the import VAT?",
  "Use form CN22 (gifts up to 300 EUR), and import VAT and duty are paid by the recipient.", ["CN22", "recipient|primalac|прималац"])
A("en", s, "typo", "is cash on delivery posible to montenegro and whats the fee",
  "Yes, cash on delivery to Montenegro is available for a fee of 350 RSD per parcel.", ["350"])
U("en", s, "plain", "How much does it cost to send a parcel to Switzerland?")
U("en", s, "plain", "Up to what value are parcels coming into Serbia exempt from customs duty?")
A("en", s, "plain", "What's the weight limit for a parcel going abroad?",
  "International parcels can weigh up to 20 kg.", ["20"])

A("sr-Latn", s, "typo", "kolko kosta paket od 8 kila za francusku",
  "Paket od 5 do 10 kg za Francusku (EU-3) košta 4.990 RSD.", ["4,990|4990|4.990|4 990"])
A("sr-Latn", s, "plain", "Koliko plaćam carinjenje paketa koji mi stiže iz inostranstva?",
  "Naknada za carinjenje je 750 RSD, uz PDV od 20% i eventualnu carinu, plaća se kuriru pri uručenju.", ["750"])
A("sr-Latn", s, "informal", "saljem robu za prodaju u madjarsku sta mi treba od papira",
  "Za robu za prodaju treba obrazac CN23 i komercijalna faktura u 3 primerka.", ["CN23"])
A("sr-Latn", s, "two-part", "Koliko košta osiguranje paketa za inostranstvo i do koje vrednosti može?",
  "Osiguranje je 1% prijavljene vrednosti (najmanje 300 RSD), do vrednosti od 300.000 RSD.", ["1%|1 %|1 odsto|1 posto", "300,000|300000|300.000|300 000"])
U("sr-Latn", s, "plain", "Da li šaljete pakete u Tursku?")

A("sr-Cyrl", s, "plain", "Колико траје достава пакета у Босну и Херцеговину?",
  "Достава у Босну и Херцеговину траје 2–4 радна дана.", ["2-4|2–4|2 до 4|2 do 4|2 to 4"])
A("sr-Cyrl", s, "informal", "шаљем пакетић од кила у македонију колико кошта",
  "Пакет до 2 kg за Северну Македонију кошта 1.450 RSD.", ["1,450|1450|1.450|1 450"])
A("sr-Cyrl", s, "typo", "колко дана имам да пошаљем фактуру за цариу",
  "Документ треба послати у року од 10 дана, иначе се пакет враћа пошиљаоцу.", ["10"])
A("sr-Cyrl", s, "plain", "Могу ли да пошаљем тегле меда у Словенију?",
  "Не, храна животињског порекла, укључујући мед, не може се слати у иностранство.", ["honey|мед|med"])
U("sr-Cyrl", s, "plain", "Колико кошта експрес достава у Немачку?")

# ---------------- business-customers (en) ----------------
s = "business-customers"
A("en", s, "plain", "How many parcels a month does a company need to send to get a contract?",
  "At least 50 shipments per month on average.", ["50"])
A("en", s, "two-part", "What discount would I get at 300 shipments a month, and is there anything off international parcels?",
  "200–499 shipments a month gives 15% off, and international shipments get a flat 5% from 200 shipments a month.", ["15", "5"])
A("en", s, "informal", "do you have a shopify plugin",
  "Yes, free plugins are available for Shopify and WooCommerce.", ["Shopify"])
A("en", s, "typo", "whats the api rate limt",
  "The API allows 120 requests per minute per client.", ["120"])
A("en", s, "two-part", "How long does the contract last and how do I get out of it?",
  "Contracts run for 12 months and renew automatically unless cancelled with 30 days' notice.", ["12", "30"])
A("en", s, "plain", "Which label formats can I get from the API?",
  "PDF (A6 or 4 labels on A4) and ZPL for thermal printers.", ["PDF", "ZPL"])
U("en", s, "plain", "Do you offer warehousing and order fulfilment for online shops?")
A("en", s, "plain", "As a contract customer, how quickly are cash-on-delivery amounts paid out?",
  "Every working day, for the previous day's deliveries.", ["every working day|each working day|svakog radnog dana|сваког радног дана|daily"])

A("sr-Latn", s, "typo", "kolki je popust za 600 posiljki mesecno",
  "Za 500–1.999 pošiljaka mesečno popust je 20%.", ["20"])
A("sr-Latn", s, "plain", "Koliko košta povratna nalepnica „Easy return“ za naše kupce?",
  "Easy return nalepnica košta 290 RSD po povraćaju.", ["290"])
A("sr-Latn", s, "informal", "imamo firmu, za koliko se aktivira ugovor kad ga potpisemo",
  "Ugovor se obično aktivira u roku od 2 radna dana.", ["2"])
A("sr-Latn", s, "two-part", "Od koliko pošiljki dobijamo svog menadžera i da li se API plaća?",
  "Menadžer naloga je od 500 pošiljaka mesečno, a API je besplatan za korisnike sa ugovorom.", ["500", "free|besplatn|бесплатн"])
U("sr-Latn", s, "plain", "Koliko košta integracija sa PrestaShop prodavnicom?")

A("sr-Cyrl", s, "plain", "Које податке о фирми морам да имам за уговор?",
  "Потребни су ПИБ и матични број фирме.", ["ПИБ|PIB", "матични|maticni|matični|registration"])
A("sr-Cyrl", s, "informal", "шаљемо око 3000 пакета месечно колики нам је попуст",
  "Од 2.000 пошиљака месечно добијате индивидуалну понуду.", ["individual|индивидуал|individualn"])
A("sr-Cyrl", s, "typo", "где је сандбокс за тестирање апија",
  "Sandbox за тестирање је на sandbox.paketic.example.", ["sandbox.paketic.example"])
A("sr-Cyrl", s, "plain", "Колико највише редова може да има фајл за масовни унос пошиљака?",
  "CSV или XLSX фајл може имати до 500 редова.", ["500"])
A("sr-Cyrl", s, "two-part", "Који је мејл техничке подршке за API и колико брзо одговарају?",
  "api@paketic.example, са одговором у року од 1 радног дана.", ["api@paketic.example", "1"])
