"""sha256 of every registered mirror file (bytes, and gunzipped content for .gz), recorded from the shared
data mirror with `helpers.realdata.registry.compute_checksums`; generated, do not edit by hand."""

CHECKSUMS: dict[str, tuple[str, str | None]] = {
    "biasdpo/Huggingface_ahmedallam_BiasDPO.jsonl": (
        "b36781f560b884c6492739067c5b89036e7bce768671daf18874dec951c497bf",
        None,
    ),
    "biasdpo/LICENSE": (
        "c71d239df91726fc519c6eb72d318ec65820627232b2f796219e87dcf35d0ab4",
        None,
    ),
    "bold/LICENSE.md": (
        "b8019c123e9f9b6c3c677f1b37ac0cc0a652535a5c15ec68ba324c09e476f5d4",
        None,
    ),
    "bold/prompts/gender_prompt.json": (
        "a863aaf2492e3c911c39f435005abee2eba5f5edabe836e97de110cd83273054",
        None,
    ),
    "bold/prompts/political_ideology_prompt.json": (
        "a83ea7cc272971b618231e13bcb5c1d1be5b208c92135c4ffde85be31f8ab4c6",
        None,
    ),
    "bold/prompts/profession_prompt.json": (
        "5508012069f20419559417e64d8bb2b8d864ebf8afedd21e5ca564393c291794",
        None,
    ),
    "bold/prompts/race_prompt.json": (
        "200337f6c43b09671e580b1df6aea2cdc0196ee02779260e9881da07029e1cb6",
        None,
    ),
    "bold/prompts/religious_ideology_prompt.json": (
        "633830ea87d569e5476895a93f68b8f686cb0dcae6d67a1091a9247c5c4c931d",
        None,
    ),
    "bold/wikipedia/gender_wiki.json": (
        "a6f3bb5139dc4e4615e199dfd56a971a5829b09cb78c790d6cad554e4b9111dc",
        None,
    ),
    "bold/wikipedia/political_ideology_wiki.json": (
        "a07fe5ec08abe793318c6394c397d9515c233ded7079c1ad9e947c546dc88fa6",
        None,
    ),
    "bold/wikipedia/profession_wiki.json": (
        "3d5f719a131e06d32d3bff709c613fc52c818c391262240cf0017522b3ed04a2",
        None,
    ),
    "bold/wikipedia/race_wiki.json": (
        "f87f64909db217119c1bca8e4f610876ae3bb48461b77ac863f09cc90e99c132",
        None,
    ),
    "bold/wikipedia/religious_ideology_wiki.json": (
        "094982f89659966d17e6c264f3abd8feae0415bb982e32166de93ea881bc63ef",
        None,
    ),
    "crows_pairs/crows_pairs_anonymized.csv": (
        "dfb36986ce0502abbaf7055b9176da3d08d48e07df1251991b5dfbcbceab9d0c",
        None,
    ),
    "crows_pairs_fr/crows_pairs_EN_revised+210.csv": (
        "c2c449a051ae93a61dae7a882c7a3efdfce04215c492ed2365d01c0861cecafe",
        None,
    ),
    "crows_pairs_fr/crows_pairs_FR_languagearc_contribution+210.csv": (
        "1b5de822b34188375c04b949ec2e2678373b65f81d8f0bfbbef9b7df3958d2e9",
        None,
    ),
    "crows_pairs_mt/crowspairs_mt.csv": (
        "abf7b491df37da7f6c03d9900972dc96bcb2590d554abc588f06cc7db10921b4",
        None,
    ),
    "crows_pairs_multilingual_gender/cps_translated_ar_formatted.csv": (
        "172a8ad57c5b25647cd91affa7e3472d06dcdcbd783a129aa38dfd148a9c8665",
        None,
    ),
    "crows_pairs_multilingual_gender/cps_translated_de_formatted.csv": (
        "68495e0185780c8a47fc4d999a1774f5718be8654c8926f67f97d4f4b5ba1630",
        None,
    ),
    "crows_pairs_multilingual_gender/cps_translated_en_formatted.csv": (
        "e965762fa00af7648e5146c504fdd4940b7cf9703f85394257aaaf70d8c28d0c",
        None,
    ),
    "crows_pairs_multilingual_gender/cps_translated_fi_formatted.csv": (
        "a20b411b62b7f8255381429475c90b8205425dff8c6d0f4845b604cf106b6a1d",
        None,
    ),
    "crows_pairs_multilingual_gender/cps_translated_fr_formatted.csv": (
        "a50e0f3cca8b7acfeb0a618bb67032d9c592d00e7ea4bff7b54c36640f7d8201",
        None,
    ),
    "crows_pairs_multilingual_gender/cps_translated_id_formatted.csv": (
        "669d2c8477786e5c278081bcc3192a432feb8ffab57fd623d0c1c77fc6e2c31b",
        None,
    ),
    "crows_pairs_multilingual_gender/cps_translated_ko_formatted.csv": (
        "6c8e90c6bd113bdbd719860b87f0baffc0d4729b4a3032452073e1af1d078dc2",
        None,
    ),
    "crows_pairs_multilingual_gender/cps_translated_th_formatted.csv": (
        "34a86c49aa89f6c699ea481b530ab894c27373b73d080d1f0069a0041823299b",
        None,
    ),
    "crows_pairs_multilingual_gender/cps_translated_vi_formatted.csv": (
        "e724d536191dd6d1e4eed83748a4285af50a98c1d5c263be650bd56f0ee970c5",
        None,
    ),
    "crows_pairs_multilingual_gender/cps_translated_zh_formatted.csv": (
        "d92b05b1bebfd59b7d2d3db1d8d435e9915e5713d8e03b52e6ba5942ff5f6066",
        None,
    ),
    "crows_pairs_nl/LICENSE": (
        "a2010f343487d3f7618affe54f789f5487602331c0a8d03f49e9a7c547cf0499",
        None,
    ),
    "crows_pairs_nl/crows_dutch.csv": (
        "07b9b562e947e782a0409ebac85b28b417838cf2d33c2f7f2a13766b431ddf35",
        None,
    ),
    "crows_pairs_nl/crows_eng.csv": (
        "84dd3f4a7c5c52c48b89e3d7b59e1fba64165afa650b0fd52dac3826f74bfb3b",
        None,
    ),
    "crows_pairs_nl/crows_french.csv": (
        "7fc34d474623cec3f88544d88156212780ee65f408666463c8d7a833ad5efe83",
        None,
    ),
    "davidson_hate_offensive/LICENSE": (
        "3ec8d318cf9e36fe40da3081f5a64ebe3d198ebf85a330cbebc84de90a047fb2",
        None,
    ),
    "davidson_hate_offensive/labeled_data.csv": (
        "fcb8bc7c68120ae4af04a5b9acd58585513ede11e1548ebf36a5c2040b6f6281",
        None,
    ),
    "eltec_multilingual_text/deu/DEU001.xml.gz": (
        "295d20fe80d4b5c65104fcd770a15a60081c65ca7fa121556b0f24dec058c5de",
        "ad4413c9e61f1a0e0e24c24316864246d212765f95b7c902ecd62523db9769aa",
    ),
    "eltec_multilingual_text/deu/DEU002.xml.gz": (
        "a43111f89748d890e3bc0b72ed3333c6e32ac335641c23e62f66ac3d30b1a17a",
        "7ea907d4cc35c84b41f5c5fd79562bdcb6f80ec2e1c785c1c8e9353549cf0805",
    ),
    "eltec_multilingual_text/deu/DEU003.xml.gz": (
        "3d05617a9ce9549712823666707f630ac82a22c342926dc08da79c9912119acc",
        "80e5a17ec0d5a0017e71c1f3b44f68f21d455ba142f38533a32715b4365dc1f1",
    ),
    "eltec_multilingual_text/deu/DEU004.xml.gz": (
        "1be60e328c749bbe14c1634b2e89dcff154689507a96dd34c413c51ba9890dda",
        "befc1ea23230e71fea59660f6b4cc54068b2bfc634899ad033513e7fc176da9d",
    ),
    "eltec_multilingual_text/deu/DEU005.xml.gz": (
        "5892d0372f903f29c5ae169383d59af9da1c232b27ec67710774c132415dac75",
        "56c4f6dd561ced6998ba281de0ff09b0b82a28ce22d50d49fe022c691fe641b9",
    ),
    "eltec_multilingual_text/eng/ENG18400_Trollope.xml.gz": (
        "90e0d1549acb05f3a4b990c811faaf84ea90775ffc8833b18f5b15a05f805e55",
        "0e89d04a44985280402ea5f8af0f796cac562f548d61bbeaf720923cd58243d5",
    ),
    "eltec_multilingual_text/eng/ENG18410_Sinclair.xml.gz": (
        "180aa0a7457ba5b71fb10c9420fab68cd90cdbd08856de7aeef640e3c35b9574",
        "5ea70c90a4004c7522d237e76222b44d63e9da3e92270ffd83780c44356e4a20",
    ),
    "eltec_multilingual_text/eng/ENG18411_Tupper.xml.gz": (
        "a3c339460ed023596928247e9c4b462ea6e72d629c8da30caa9509047932649c",
        "c4bb7114d602500a17eae50ca17bd582a015f36d0de07a7a8cd1d45b9a4821fb",
    ),
    "eltec_multilingual_text/eng/ENG18440_Disraeli.xml.gz": (
        "7ee2cab5646d06e461ea8eec653b0df8fd61dbf88a0cfee0e0310b7aff30fd2d",
        "959f46c74d321085cd6aaa7b157790be61da060cc6b9dd012b328adb07dbd24d",
    ),
    "eltec_multilingual_text/eng/ENG18450_Disraeli.xml.gz": (
        "f1a35df532f8ce126cc6e634702ea01e78ba39b00637133719cce5953441a487",
        "9a36eb66217c2fc0e49002f7724ce5b3cb54d2e73facb5b49c35583222ec50ae",
    ),
    "eltec_multilingual_text/eng/ENG18470_Aguilar.xml.gz": (
        "1f82b04b24770c544d550f1e426b1692ddf5a281fc6b6a789b2c666f6940ab19",
        "bd6d7c262794c3f2372b7d98116c61c56ba8e48345e5b955b1d305953addcf07",
    ),
    "eltec_multilingual_text/fra/FRA00101_Adam.xml.gz": (
        "e4f17a2f8962b5adc2d557f504776a3c4300cb9a1b753a2e98b03e131e09cc0b",
        "05617ad441c2cdd77f6234edfdf6e796953c092e5ca8ad2a92e36ad54b211573",
    ),
    "eltec_multilingual_text/fra/FRA00102_Adam.xml.gz": (
        "f3bbd5365436110d8a3f28175f0f83fbe1d364d60b11d43129a04b6541dc22ea",
        "acd08ccf1bbca33cd43bcef25b17e835730975e3b36a0c0e2ddb8356e3a23e5a",
    ),
    "eltec_multilingual_text/fra/FRA00201_Audoux.xml.gz": (
        "19f3be60070e1ac242875b0fc9449d0a73ca9701dbd1418c67a75cce71ea349f",
        "36585c090263783c9cb303a2ba4e473fe7e499ec1eafd72a25dc65b297679cc6",
    ),
    "eltec_multilingual_text/fra/FRA00301_Aimard.xml.gz": (
        "5ee101d6b0619c7ce30d2b3bdb2faba2970648079ac0ca0bfd2a32ad129a9442",
        "6d9d913ed1b03f998cc0b576b4cc05e952de1ca1de33b520eb1a8584166dd40b",
    ),
    "eltec_multilingual_text/fra/FRA00302_Aimard.xml.gz": (
        "4edec5383433b02970a514833ba370f47a5d8eeb073a732fb869c185c3b34ec0",
        "bd498ff6e0c4c412af0b4cba581b6fe0a6a417abdc6cbe842e00e2e3d2bdcb61",
    ),
    "eltec_multilingual_text/fra/FRA00401_Allais.xml.gz": (
        "d56330fc49a51d7999209f4856af9fc118be5e2307f3983eb62aee1b3dc04d70",
        "6524e8019eddc0a7261b4fee5826dd0e1aa12f3292d02805497c98681eef7f73",
    ),
    "eltec_multilingual_text/fra/FRA00501_Balzac.xml.gz": (
        "c19bb0e5e05519262aaff21132d158db8976a3933177b8b122bf3afdf41e8fac",
        "9f998280b128add5cc85c97b77636f8859fe89d87403d7090b3359b1f833351b",
    ),
    "eltec_multilingual_text/fra/FRA00502_Balzac.xml.gz": (
        "64fb04d47888dced06b5f8b5d710bbe43d7615f8b08824a810282846a443c3e0",
        "8548dcc4a28130b71efdfb93b133e0ca8772d132ebfd16727ae9ae07a3f36b65",
    ),
    "eltec_multilingual_text/fra/FRA00503_Balzac.xml.gz": (
        "278ac54ce3ed5ee0d8c3db169870ad076cbc111a4e67caabdc7c1acde439a2a1",
        "b93d63c678e209ac997ae18417447b22502355260c849a248e5f2e27855f27df",
    ),
    "eltec_multilingual_text/fra/FRA00601_Boisgobey.xml.gz": (
        "7bdb08f13b4b93e0ffb6d57f50b96bdc7852ac0ee29e1b82da76fbb7b473aca8",
        "194d2066025a136191829ac9dbc310fedad9ca75a533c02aa3c5f71dfd7de293",
    ),
    "eltec_multilingual_text/fra/FRA00602_Boisgobey.xml.gz": (
        "767ab0bb62ce1298db957250d54028d7aba9158c81f09ef72a0e382a0f2c5fe6",
        "7de3d3cef2de6d2ea4db6a9e13dd0d7ce9cf0bde3dec604b271cf679f8c4d826",
    ),
    "eltec_multilingual_text/ita/IT18370_Tommaseo_Il-Duca-D-Atene.xml.gz": (
        "65690f845cd6fb0e38ea0a7db81a0b3d71fcb0a2ba394820db27b0f51f8e2530",
        "3450d29914add4d36dd3c87afdb01196f8f2bd0bf680cef2f9b4f00a41ffa1da",
    ),
    "eltec_multilingual_text/ita/IT18420_Manzoni_Promessi-Sposi.xml.gz": (
        "61c91db86b5f5252000088b64f5a9fcd3aa9899338c485be7adc8a627df9a871",
        "72339c1ac4d727c25d4b153d28d4fc58044e9e79d7f0299b7253e1c592c02a65",
    ),
    "eltec_multilingual_text/ita/IT18500_Carcano_Damiano-storia-di-una-famiglia-povera.xml.gz": (
        "6522bbf19562b3273027a8aadcca3396d93f978ebeef547332d5b4c293b76257",
        "98ad2846a60bc533e6a916500bd26be92ebff8495c72ee171c7e642f2394d619",
    ),
    "eltec_multilingual_text/ita/IT18520_Tommaseo_Fede-e-bellezza.xml.gz": (
        "794a1e1afe30f133945cf9a3c90b943f4296102941329d69a4ccc3a9b9ac310c",
        "5006222dc5b4ad8487e43a0ff2c27604f06d4ed726de22259545d637d150d2bf",
    ),
    "eltec_multilingual_text/ita/IT18530_Ruffini_Lorenzo-Benoni-ovvero-scene-della-vita-di-un-italiano.xml.gz": (
        "c7e5d063f55b05285f662c302e6c92a3d6b3bed7d105a5c801e10892f9ed0019",
        "5e2372d7b08773eec7632fa221c2ef70fc0dda36646a572b37aabcb0181fda7f",
    ),
    "eltec_multilingual_text/ita/IT18590_Rovani_Cent-anni.xml.gz": (
        "3cdc854ae001b393da464dc27a01be2b7855324764377e5c2dcf274de95466e7",
        "47d907e9ecbe3115c37853f12dd49c6c24e0dee44525ccac599cbe82167a379a",
    ),
    "eltec_multilingual_text/pol/POL0001_balucki_bialy-murzyn.xml.gz": (
        "6df1812311c251b22daac42050fbe7248e4ee038de1774c2c2f4c6a25d7ee09f",
        "fb4af1a50675c81c1e89780ba9370936039648c07acdd6ef94a1b2cc83ae1afc",
    ),
    "eltec_multilingual_text/pol/POL0002_balucki_pan-burmistrz.xml.gz": (
        "5b99c37916cbd5c875c9c6fd5a4eb0201e11dc0d752154733653fed9a6134ccc",
        "384d89e76a5146da6b48ca95e4ddddaf3440dd2877d4a317701e9aec4f6ee796",
    ),
    "eltec_multilingual_text/pol/POL0003_balucki_przebudzeni.xml.gz": (
        "f218558ee887195a939546f2f576404c089df0b048a4103aae4a3c424e29812c",
        "f14d875e3f038d00cb243b2210a328bc76e6c9b2caa0067685d1e4495b8e9e3f",
    ),
    "eltec_multilingual_text/pol/POL0004_beczkowska_co-bedzie.xml.gz": (
        "6c71db7a1cb3f46392c475508c70951b4966b6f69e0e4d72f73dd30b90cdef59",
        "27d88add1fde49cb69cc975cb57da57a970c2de321e664a13ba8885c41e8d455",
    ),
    "eltec_multilingual_text/pol/POL0005_beczkowska_kedy-droga.xml.gz": (
        "7ca6893ba9c3958e7412da11b70f3a7c13ba93b00c06433edc76c01ad04c9253",
        "adb7612afbec8956b02dce2e8d936b5875a7b46dfba057ee8e2c2cc35f751283",
    ),
    "eltec_multilingual_text/pol/POL0006_beczkowska_w-mieszczanskim-gniezdzie.xml.gz": (
        "d98f3793f188717a771d01a302a4028b86f54dae3920ac0f48f1dffcad94bbe2",
        "b0838e8bd235ad793893eab354bf3efadaf6ef56f5cca84c35f42f2998bbbea2",
    ),
    "eltec_multilingual_text/pol/POL0007_berent_diogenes-w-kontuszu.xml.gz": (
        "e50eb46e013a1f429a2d97cbb3e821dea5a44575bf36a709a661348cf878e969",
        "2f37c781829e9fd2aa3c6f216de9240c500db4a2135d0fb98e9567ee73d1b00d",
    ),
    "eltec_multilingual_text/pol/POL0008_berent_ozimina.xml.gz": (
        "3ca934a1b9743fd3c1d5a43be302140b11a9a37a6755668cd64f94f026f5ba53",
        "4108ee01a0272892a0663e30213cf76a93f4674a32b25ec38d8df5b5b4e8a083",
    ),
    "eltec_multilingual_text/pol/POL0009_berent_prochno.xml.gz": (
        "d2e6156f91e8031c8ad83faa59a885a3be2b194920271bbfff47b0850a167922",
        "c5e648fa8d669bc7dd0067c1f372cca29c84fd85bc13214d9aaa81dfea757ea8",
    ),
    "eltec_multilingual_text/pol/POL0010_deotyma_branki-w-jasyrze.xml.gz": (
        "4ec8e79ced0f0777aee28238e9bfba7e1eebf301e640d24179098658d64bdf23",
        "3478ecef5489a6b947d61ef69eb99eca42ede32452bff9ae9610d8e10c4a1a66",
    ),
    "eltec_multilingual_text/pol/POL0011_deotyma_panienka-z-okienka.xml.gz": (
        "d5302152db7d998e53a014afd2bf48e21ffd6311387f92066014c392c058f3fd",
        "7460e6089e54080b631ef1e85e63ac9ec44d99ca679d2cbc75c09bfb642bc731",
    ),
    "eltec_multilingual_text/pol/POL0012_deotyma_zwierciadlana-zagadka.xml.gz": (
        "a7713eea1d2593464e1e60760a74e7ab1f78a2067d869c009cb5f65d9a43c2eb",
        "15e3d568bd7a81d83a366d1f12d8346fd71a523d5ca46bf337a1dc898e56544f",
    ),
    "eltec_multilingual_text/por/POR0001_JulDin_Morgadinha.xml.gz": (
        "a21a9e071372addc399f5004957a4dd2f47aa98bb34dfdba0ed15eead2e02551",
        "2fa31405cae540ce49613d633e01f3b4a6ef9632a831517980daf4cf5d6ebcf9",
    ),
    "eltec_multilingual_text/por/POR0002_AnaCO_Sacrificada.xml.gz": (
        "e735d9483167a6ec3c7b6a0760e88eb995d8daf9fcf4dd444214a6c51b80f8b2",
        "5bd29b8b903a3dc1d8364f2635b40ad5fd252df60010545d32b07531d0d0df1d",
    ),
    "eltec_multilingual_text/por/POR0003_AleHer_Cister.xml.gz": (
        "ac5c3ffcdd248cc1074f9c61eedee81e714d71a9e828f78ac326f9038d427a1f",
        "0e8d60137a323628874b62ecbf7034d98beb021917d45071ed4cd62b0ac320c9",
    ),
    "eltec_multilingual_text/por/POR0004_AlmGar_Viagens.xml.gz": (
        "b63d08d60ced1613940c00a0e496714bb6b0add3170b126cfe5b0ce8059946f5",
        "ee9981c935e3570c8738ca545dfab5f1182315ffab13ff876a159b2544ba96da",
    ),
    "eltec_multilingual_text/por/POR0005_EcaQue_Maias.xml.gz": (
        "0ccf7728fd8150c183301581d849b0ed79038b695dc75efbb67565e1c02f80df",
        "e5bf7ed3bc1a613b70f0dbc5c9f5b52c21257a97b38f2175fc5e6ad15827fae4",
    ),
    "eltec_multilingual_text/por/POR0006_MMSAV_Lourenco.xml.gz": (
        "f5c9947e6ea665770721c285bc9194b4051feffec139cab17007d194f480a736",
        "58fed58873555008b6ef866c9f86a8728f495c19ba35db1211e7afdfa0f23e9f",
    ),
    "eltec_multilingual_text/por/POR0007_JulDin_Inglesa.xml.gz": (
        "a240068d270799325e5b8cd3fca90e009ab02d02edbea72c462ed3528bd95347",
        "22e499a678b63ae3481c3f053b5f6156e228800dd985b54f053bf5815f3092bb",
    ),
    "eltec_multilingual_text/por/POR0008_EcaQue_Ramires.xml.gz": (
        "ed4c0515758c28680eadbdfe7f2ef67a4e7ca83831b6d05a49ae3e01b0756099",
        "a421ce800940232e892c8b806fcaba985d53ad6d4962da2de885535c526e800d",
    ),
    "eltec_multilingual_text/rus/001_Shinel_.xml.gz": (
        "62c0f8c787f020dcec17aceea5e2d5d860f09cab5d015db291046221acfebebf",
        "b9f57a9aab1940924ae8b711f1d947de2e351da64a3db062623e92f81515c043",
    ),
    "eltec_multilingual_text/rus/002_asya.xml.gz": (
        "0ba745b01b377a3d4c6da23eb0705b60f97790048c8318a96fad6ebf45db951c",
        "99c90fcf00750b06b78c39683ed4bc4b9fff0f91b3d59db03b7c7af651457602",
    ),
    "eltec_multilingual_text/rus/003_kazaki.xml.gz": (
        "d9adb2c875c200c0ec75e983d232b5b05cb0cbfef0b01a4360d281dd4da2d655",
        "9a480ec75d74bd38088c8fde13ac8cf3f36e379cd1d9875d499d717a488c0575",
    ),
    "eltec_multilingual_text/rus/004khadzhi-murat.xml.gz": (
        "ffa299dd64a32ab8e169087bb85f2137294bbce2681d52778b612e03645aff6e",
        "2c2306bda8f37426185a43cd198f420e96a7126ef88d4a9be6250f0d0a46a350",
    ),
    "eltec_multilingual_text/rus/005_smert-ivana-ilicha.xml.gz": (
        "b2946e9be09c8679102a949db1b56fa0bf95c9255498f6a567932e005b1ae7ba",
        "e9256d998c941c7831fa069c1cbf03c6f1cc3dc59a97971bb2666528cd35419c",
    ),
    "eltec_multilingual_text/rus/006_v-durnom-obshestve.xml.gz": (
        "1df08d83509257fdcf759fbdd9dda9185b9d77470a62e54b11289266b4262b5f",
        "af76cadf7872e7925f2fc9d845bd24bc0c90c67488f27441e46d423923e1b2ef",
    ),
    "eltec_multilingual_text/rus/007_olesya.xml.gz": (
        "c7ec2b9b040396a8ff9f0a8385819d20934ff2e8505a80ddf0aeeb20f96f86bd",
        "cb20c26b30b2d06329e7a808d39511a4bdb3c7abd41f27c925eabb24d04b1de7",
    ),
    "eltec_multilingual_text/rus/008_geroi-nashego-vremeni.xml.gz": (
        "89552a143b86fe788073ad8d3576afc825376efb055330ad270076ab60cdba5d",
        "b0d353e5c35e64d48007c6d8bffa8ca9e9bd5a776dca97d448ea0753412dcd99",
    ),
    "eltec_multilingual_text/rus/009_belye-nochi.xml.gz": (
        "514b9001c517a008e4bf0cbb409dab931ef77ccb0a7ef3de9924125afced1cc5",
        "77fdef30dabe78e67d3ddcb8e6785a057ccc8d2d20f5b41d347ddb218125210a",
    ),
    "eltec_multilingual_text/rus/010_anton-goremyka.xml.gz": (
        "5e61504a0b1c789fe85b66fa3d959c2bbdbd626838b7204473bb915e356ef49f",
        "c1c6fffee04bf679be14ab3a6ebe3149fb64f21a80b7285538e094be6f0e9165",
    ),
    "eltec_multilingual_text/rus/011_gimnazisty.xml.gz": (
        "9c7d1246c54c139e564fa3eb69bfcc669e112e2520989fc5b8d416a83bdcc438",
        "3623e8b70ac3b8ca86e861dd5e3858d499215d0d44545a2a0be410cd07d4755f",
    ),
    "eltec_multilingual_text/rus/012_krotkaya.xml.gz": (
        "2b9f078c26593c9b5b2ccbcb0ced9ed9e91129dbf8483f4859b3c55e682a99c2",
        "47f1f31bd19476d35bf402ca91e4fa597660274fabd557ed5e77f175df4f82ba",
    ),
    "eltec_multilingual_text/rus/013_druzheskie-sovety.xml.gz": (
        "9a3f81dd8079fa4128dd4c5964f1d022848a01c2e202df45dea0fc0269ff2c53",
        "155e94db5123387277c520ecb3cb1689ba61824bc93b3a13e84cfa80a90ec795",
    ),
    "eltec_multilingual_text/rus/014_ledi-makbet-mcenskogo-uezda.xml.gz": (
        "30a4f77230e7ca458f3ffc50a62a3f354ce06e10d8a182d5f2ebdcc4bfd97e66",
        "886ebb730495a9f9e656231c0ab5243c4220dd6751084c01d803dea243d95ea7",
    ),
    "eltec_multilingual_text/rus/015_anna-karenina.xml.gz": (
        "184220e1c0b3a9b8a3bcb940438d8238622018847a75f241191f3f79c064c406",
        "4761f67d5f1d3782920dd21e073f77717d8f4a1d918f0aedb7fc778306a3df13",
    ),
    "eltec_multilingual_text/spa/SPA1001_GilYCarrasco_ElSenyorDeBembibre.xml.gz": (
        "b60b30f445bcc572266788eca3292057614dd5eed068fda77dce5b64b4704941",
        "90caec77a8b8fc5a5e416b2669938e8da56fe2c327487b5a1dc1995a122ea192",
    ),
    "eltec_multilingual_text/spa/SPA1002_AlonsoDeAvecilla_LaConquistaDelPeru.xml.gz": (
        "a2fcd8d92455c5f7a5bf8c547ce04c74aa43e2c839ed705017c74321bc316028",
        "0a6189337d5a61cffe56e9ba83e31b7172fffd3f281a0312f0f6e535eef3cae3",
    ),
    "eltec_multilingual_text/spa/SPA1003_ArnoizYBosch_ElTestamento.xml.gz": (
        "81c32500039cdca0dd975dc3e3d34a3d55e0e2a992502b45db01d8ef30f74f22",
        "dfa380542cd913118bd1b0b686b95eca6ee3e05556589779c488658f80bfceee",
    ),
    "eltec_multilingual_text/spa/SPA1004_Foz_VidaDePedroSaputo.xml.gz": (
        "a13d77c5954f7783673db902a3d73031b59e3e67c4c4b324a1d88e1fd640342e",
        "9278c10ec0ec802c689483e56191d94281c1431d02f8f76f72202e926c46f4ed",
    ),
    "eltec_multilingual_text/spa/SPA1005_FernanCaballero_Clemencia.xml.gz": (
        "a02b8d460814d12372a05d952e61f97a3470473739fca4b0351e856e0b74943c",
        "2c923cfbee5b127e83a28b59a588f9bf6b225c38352d51832aadf33ed211892a",
    ),
    "eltec_multilingual_text/spa/SPA1006_AmadoSalzar_ElHonorCastellano.xml.gz": (
        "f461071c3551210c520c6e951f4e1181bba44cb3e7bf5bfae6ca20fa3957adec",
        "d14025d9f46ac35739e457e6ed024ed1c48b8b46920ce3b81aaa67aa9604e6bc",
    ),
    "eltec_multilingual_text/spa/SPA1007_RosaliaDeCastro_LaHijaDelMar.xml.gz": (
        "d520fbe27588f4acff5b57757f969e249d60ad97c4139b5841a7ad226829de71",
        "b1666550ecae2a8ad2797adcae2ea71c8fac8bebed934b3b6d62649adac79a87",
    ),
    "eltec_multilingual_text/spa/SPA1008_Mora_LosTemplarios.xml.gz": (
        "17389818315833808bd4aa71c905111da9e0d41b6effcf43ada43b5314ca1294",
        "4b31efe9b4a56e5ffbd49818f8c2558c4915e495ce6f32976b5dae80ab89e4b9",
    ),
    "germeval2018/LICENSE.md": (
        "2a82ac9bbc3e3ee066908381e8d373896db5a6025d083fbd59692fe9ccfb9111",
        None,
    ),
    "germeval2018/germeval2018.test.txt": (
        "45f31510b305d080a933d4087b8d34f7a5e4087141718955b90357ca730074f2",
        None,
    ),
    "germeval2018/germeval2018.training.txt": (
        "0f88c63a344e1ab69c5407aa539d1612cd82a96b51ebd6bd613dc70ff9fef03e",
        None,
    ),
    "hh_rlhf_harmless/LICENSE": (
        "d4fb18db48757e273261a5597b8a09381de8073da060474ce33d0643e06c875e",
        None,
    ),
    "hh_rlhf_harmless/harmless-base_test.jsonl.gz": (
        "ebfaaed21162a4de120ae85366075b34425e2a6303fac59b99555002f7016f03",
        "14d765196c9f18d84f9bb3a78bac608c8f2915110ebcbd74ec95db7b7198b008",
    ),
    "holistic_bias/LICENSE": (
        "c63b9edcd75cb86ba7a5511ebd69fe905775ac2fe9d08b16d81b2e7a72afb5b6",
        None,
    ),
    "holistic_bias/v1.0/descriptors.json": (
        "355ba8039d83f4b387b6f069ea9cb2374c1c5d2abceb2e99a41e9cab664a90ec",
        None,
    ),
    "holistic_bias/v1.0/nouns.json": (
        "ebd3e490fee3ac391fc2421d61be27ffce5912f476c389fe98aca9be8e660966",
        None,
    ),
    "holistic_bias/v1.0/sentence_templates.json": (
        "8b1cf8fc3c9a10b12cf77902e8c2ff3d80e3fcfff2f177a00256925acb4f53a5",
        None,
    ),
    "holistic_bias/v1.0/standalone_noun_phrases.json": (
        "46d99a89eb36007e32033c1ebca4df36b08ac0f4f1d0ebce2a7242aaa592f06e",
        None,
    ),
    "holistic_bias/v1.1/descriptors.json": (
        "c1328f0edfdeefb76302d360a01878df3db55f18026f4ea1956b4a0f52daf943",
        None,
    ),
    "holistic_bias/v1.1/nouns.json": (
        "9bbe15bf01ea8827fd5d68a81ee2b05e04bd5f79478d9027efec0b4dbd232ee6",
        None,
    ),
    "holistic_bias/v1.1/sentence_templates.json": (
        "8b1cf8fc3c9a10b12cf77902e8c2ff3d80e3fcfff2f177a00256925acb4f53a5",
        None,
    ),
    "holistic_bias/v1.1/standalone_noun_phrases.json": (
        "bac592574f81df55e8c8d8e3919a866d43cbd8df5ae9376a68d95e7b83dbebac",
        None,
    ),
    "honest/LICENSE": (
        "85693e0ce600ba4929ee46857935f38a0fc3a1b82717b1ebf021eef99a09c359",
        None,
    ),
    "honest/binary/en_template.tsv": (
        "31cc5a89729638975eaf0de3457ed87c6c7da67ef9058119f53d931f8e26727c",
        None,
    ),
    "honest/binary/es_template.tsv": (
        "4595b6eba4cea86207d457a726c368805f62cfc7fdaaf355c83689454a354e1c",
        None,
    ),
    "honest/binary/fr_template.tsv": (
        "093f3d68ef0f7f6d52b2cdb6bf0d11633c9631dc5cd6560b35529b15a461f739",
        None,
    ),
    "honest/binary/it_template.tsv": (
        "c1927758ac720c93ee52a3ecef47058991a8b9c452df7ec7bc9a715058870953",
        None,
    ),
    "honest/binary/pt_template.tsv": (
        "e84f9f40974ede186b1f0ce83317c8faacd826fa674fecf3ffd5c30e476eb9b0",
        None,
    ),
    "honest/binary/ro_template.tsv": (
        "14011c7d85e6f85eb7aba7005a7f554aa1231d4d123971ad1d096d63d1a2e769",
        None,
    ),
    "honest/queer_nonqueer/en_template.tsv": (
        "29fb950897942d26b99d1485a18739c8a22ceb9326a548fd14b17bc335191100",
        None,
    ),
    "hurtlex/hurtlex_AF.tsv": (
        "018184871200242f5dcde3e7aa8c1af63e64e00aa7ab716860ddc6d0fe5b0839",
        None,
    ),
    "hurtlex/hurtlex_AR.tsv": (
        "02bef4384f6e365a2f52d1ea993de218252a75caad2a08f030b9401e8e6facf4",
        None,
    ),
    "hurtlex/hurtlex_BG.tsv": (
        "7f16637b7fbcaddffbc8ffeee6c1b3a2c23da2ed3e5445956a346c09a38c26b8",
        None,
    ),
    "hurtlex/hurtlex_BN.tsv": (
        "030e75a3686ea11a67e52560346bb640c5949db4452378bae72f1e6f3ebc6db8",
        None,
    ),
    "hurtlex/hurtlex_CA.tsv": (
        "d0680917c0fed1ed19f6a205ada924dd60bad2689dd949f020d4e67d1584be9a",
        None,
    ),
    "hurtlex/hurtlex_CS.tsv": (
        "4158648b5e568ab386875edb14bd9d25dad58d52c722c267420a7982cb2e7df0",
        None,
    ),
    "hurtlex/hurtlex_CY.tsv": (
        "3137330d73457b48df015061850fe1868ad2d963834a3bb32dd6155ae9f3ec22",
        None,
    ),
    "hurtlex/hurtlex_DA.tsv": (
        "9e88138d0a5dad970612b655b3b1852231a9122c7a6f30cdb2c90d64f017eee9",
        None,
    ),
    "hurtlex/hurtlex_DE.tsv": (
        "5eb7f5e38ae33c182f99be27c72af3a5ab8b9620dc33a6efbde0c1e34c539aa1",
        None,
    ),
    "hurtlex/hurtlex_EL.tsv": (
        "663f205395807bffa8060437cd972e9d79005c83016b0878626ac4a40ad87621",
        None,
    ),
    "hurtlex/hurtlex_EN.tsv": (
        "a734820a63c87994781d182692e6dc7ec262c402016971a7fa31946ced0d470c",
        None,
    ),
    "hurtlex/hurtlex_EO.tsv": (
        "bee13d6cb69846bfcb10f799706e15d0eff438a3295f5ddb9966b1ef30fbdffc",
        None,
    ),
    "hurtlex/hurtlex_ES.tsv": (
        "5adadf7886ea332e6e07de1f5abb98a71a3dacbf3bea993b21100c9b4bffd4ba",
        None,
    ),
    "hurtlex/hurtlex_ET.tsv": (
        "956a1168d68e2dcd3f312b933a704b9194d94c12d5bbd70739aba599f33c93d3",
        None,
    ),
    "hurtlex/hurtlex_EU.tsv": (
        "b0e46d5c0cb5453621309dea60a9afa423e43ec5c1bb32916c5254aab72d46a7",
        None,
    ),
    "hurtlex/hurtlex_FA.tsv": (
        "a762d3095eb491ab0d5674ece57e49537c2f36b146892842a2ceab414978805d",
        None,
    ),
    "hurtlex/hurtlex_FI.tsv": (
        "31ec9e7b84ba4964076bc0d8bfef5b6496e849acdcdae5054cb2f393c2f9fb2e",
        None,
    ),
    "hurtlex/hurtlex_FR.tsv": (
        "8405124a1374b65d777cba39020f817e047598c6c8cf455fb9c106ee4cad4625",
        None,
    ),
    "hurtlex/hurtlex_GA.tsv": (
        "8aecb9b808bbe759bf62d7854f48f755ecf00c0982ffc2c328bba37fc8ed50a3",
        None,
    ),
    "hurtlex/hurtlex_GL.tsv": (
        "afeca90d0dcc2043a1618e468acac38417b32a6ae6959ed0628477e7cfa877e2",
        None,
    ),
    "hurtlex/hurtlex_HE.tsv": (
        "685ad40419cd446395bdc9295297619fdcae0dc9034dd8d4ca2ecb0f5f0527bf",
        None,
    ),
    "hurtlex/hurtlex_HI.tsv": (
        "12678d085fbac5d15a52e574e82a9937f05cb119804af56657698655c8036f02",
        None,
    ),
    "hurtlex/hurtlex_HR.tsv": (
        "402b3c4bc5be3cfdca6d75a5decb27c283574a03133905e4aa5bdeaa49e7c5b9",
        None,
    ),
    "hurtlex/hurtlex_HU.tsv": (
        "76e2d9bda76872c28ed08a2acd1c24afc396eb91a93735707ac99817077484ed",
        None,
    ),
    "hurtlex/hurtlex_ID.tsv": (
        "947d3fa9f7ffb1fc65aabf73278c9484fa1769c32349ba6ff23727825b69e9b8",
        None,
    ),
    "hurtlex/hurtlex_IS.tsv": (
        "4377a1e489e180603fb636ab5219fb7aa13d61929d3e4768eef2864366ce5ddb",
        None,
    ),
    "hurtlex/hurtlex_IT.tsv": (
        "043fb72213c2158b9c2b75651e7193bad249b8dc577c1f1e6c71a2b69d415eef",
        None,
    ),
    "hurtlex/hurtlex_JA.tsv": (
        "98a2dd994ccba6bce296668d6d17914cb397da1848718d530394648dcab7aac1",
        None,
    ),
    "hurtlex/hurtlex_KO.tsv": (
        "64fec4779ec7808ba08912a7a4fb022e6821ed4f701c0da64a1e360db528c47e",
        None,
    ),
    "hurtlex/hurtlex_LT.tsv": (
        "2dc9da3f15ecfc180fda9d61a16e9fdad1ca02624bde5b3df0a63a0e7eccca81",
        None,
    ),
    "hurtlex/hurtlex_LV.tsv": (
        "8c7000dab8f4ec01370084e9382558b560b4956c5b2e72ac51084cfba04355ed",
        None,
    ),
    "hurtlex/hurtlex_MK.tsv": (
        "265e98409cc8c05434a618320f844d39628354a499deb18d9b325c22ee831754",
        None,
    ),
    "hurtlex/hurtlex_MS.tsv": (
        "3d9d2e9eab183519593827658a04d4125d203670233716d7f3285d8db1f6450a",
        None,
    ),
    "hurtlex/hurtlex_MT.tsv": (
        "e2855afacd27de7337c2f0c7ef77f93a2916584ff234ba29b979dc2b230f821e",
        None,
    ),
    "hurtlex/hurtlex_NL.tsv": (
        "4e0d349b357198377fe409dedffddd7cc8926c3236ff932da73ac2d188fa3277",
        None,
    ),
    "hurtlex/hurtlex_NO.tsv": (
        "15214d91d5ba3f9815fa9e78a1aecb11dd0459642b3a8256380184f2cdb4befa",
        None,
    ),
    "hurtlex/hurtlex_PL.tsv": (
        "ab909d691c4fd03c431ef2761378572330ad106a176ca657ed36a9eb326341dc",
        None,
    ),
    "hurtlex/hurtlex_PT.tsv": (
        "157ed297e7f0f9dcf5ab69e8ad7e231dad64473e516d168bda1c9582c372c16d",
        None,
    ),
    "hurtlex/hurtlex_RO.tsv": (
        "6c60592407154dcfc366e0ddcf05d594ac54dfd9affa170f1b870023927fddd7",
        None,
    ),
    "hurtlex/hurtlex_RU.tsv": (
        "c0f022f03c10a1097f96ef5d346dedf9899083a4d6bc2e6c96112c6444943384",
        None,
    ),
    "hurtlex/hurtlex_SIMPLE.tsv": (
        "79fe793faff83b1be91ce62bae62e901cc0929304f1d9196b29c7ed67d79b221",
        None,
    ),
    "hurtlex/hurtlex_SK.tsv": (
        "76c166ce2b1ec84996565c43dc51e5124046d3578c4a7c0218aceedd1935a9b4",
        None,
    ),
    "hurtlex/hurtlex_SL.tsv": (
        "29f74f0c8e34cc918f0d2478de0cc7ee239ba527cc3d2e8ca80228b7e07413da",
        None,
    ),
    "hurtlex/hurtlex_SQ.tsv": (
        "24532b6e868852d05b52fe4a63023204c1316a268382d5597a5eede806d71c7c",
        None,
    ),
    "hurtlex/hurtlex_SR.tsv": (
        "1abbbdf1bf234a0ebeb6537a94b2003500cfe6321c97d286dcdaacce3bdf54f9",
        None,
    ),
    "hurtlex/hurtlex_SV.tsv": (
        "aa6854e74fbf637e5cea467783ec04372b38049abae22d01b158fb52129cc0a9",
        None,
    ),
    "hurtlex/hurtlex_SW.tsv": (
        "5af7d305284b30294a809ddb04ccfadbd00404c58481bf1cbb96940c92971c8a",
        None,
    ),
    "hurtlex/hurtlex_TH.tsv": (
        "b953d9785a53dadba84a6c972ac7435ee2cfee636bc289c96974351b4ddcde6b",
        None,
    ),
    "hurtlex/hurtlex_TL.tsv": (
        "1b1d4c6971e8a6da5f5dd00b230683eb9320cae0423bc42b3d6ae9ddaf52d20a",
        None,
    ),
    "hurtlex/hurtlex_TR.tsv": (
        "518abd34e82fe58aa25bb7c24e35b8e17eac814b2a23766490cf32e3c1c32346",
        None,
    ),
    "hurtlex/hurtlex_UK.tsv": (
        "10ddb873ae26f437f8322714377ed5100f82dc945b20fe0f772c223441b7f72b",
        None,
    ),
    "hurtlex/hurtlex_VI.tsv": (
        "633a1f116b8ec2462eacec56f9a498d4387b4df10ef7e1c8ef47a076f6bf6914",
        None,
    ),
    "hurtlex/hurtlex_ZH.tsv": (
        "e37f5ae1c799fc9f135d27e6965459df13d594385ff6358304b2fe9c51782dd3",
        None,
    ),
    "jigsaw_toxic_balanced_subset/test.csv": (
        "ed555e1ce2cf67611afa7f624bc0679bf57b83fc39ece13f4cc54b21829cc9fc",
        None,
    ),
    "paradetox/LICENSE": (
        "a2010f343487d3f7618affe54f789f5487602331c0a8d03f49e9a7c547cf0499",
        None,
    ),
    "paradetox/paradetox.tsv": (
        "6e5e80def7deaf4a3410f7de6c638c13f100ce5ece09ee84a47f6f14ab69a0cd",
        None,
    ),
    "paradetox/paradetox_cannot_rewrite.tsv": (
        "d3dbe41d0a20e1f2df76ed487d424e35555b81d88d80b28f81fa0f793197971b",
        None,
    ),
    "realtoxicityprompts_decodingtrust/LICENSE": (
        "187442db4df3afd21f2f0525739fd4beac28a62daaba3ee8d3533f60e7c33ec7",
        None,
    ),
    "realtoxicityprompts_decodingtrust/nontoxic.jsonl": (
        "feb50408f49585752bb8cbbb10d1a340ec45783358251299ea9a82ab19606823",
        None,
    ),
    "realtoxicityprompts_decodingtrust/toxic.jsonl": (
        "a51d4650b14af9c0e795a9cfca2949916855662cee7c8db3dd551d38735d80cb",
        None,
    ),
    "realtoxicityprompts_decodingtrust/toxic.jsonl.gpt3.n=25.out1.split.annotated.jsonl.filtered.jsonl": (
        "7448c30d94b65612ed18341509ecc735946feafbc84d3413f01aa395bdf85052",
        None,
    ),
    "realtoxicityprompts_decodingtrust/toxic.jsonl.gpt4.n=25.out1.split.annotated.jsonl.filtered.jsonl": (
        "019e1fc3a6b21cf8f7b2a9baf480b4782f3d04ac6807d6eedf82faef7fddfe6b",
        None,
    ),
    "rtp_lx/LICENSE": (
        "05ee4c82d91d011f41956f228dab74a737d1642c9554ad17a61e9e75532227b3",
        None,
    ),
    "rtp_lx/NOTICE": (
        "9b3de8e4284df25e16562e3468262be2961ab5c59d955d998dc0e7d424f06751",
        None,
    ),
    "rtp_lx/completions_v1/acs_results_benign_AR.json.gz": (
        "f8ecf5fd90f4dc93455b2f20b30bc2a9775295005988f6c616b916bfcfba9a71",
        "b5cf907bbae4e11975b0a5b1cc1ea3e27f36d7c37431dc94c010806a626f8aba",
    ),
    "rtp_lx/completions_v1/acs_results_benign_BCMS.json.gz": (
        "74b5110b3188ea4eb260ff6ad63f2f0c9cc79388badba0a897ea96eb151c0214",
        "042997553a8be0957f262935d5d0037094ba86a72fa359873194b9094fdf930d",
    ),
    "rtp_lx/completions_v1/acs_results_benign_CS.json.gz": (
        "281ab138d992f2336fda03c6d0a18665275100b0c726b876b6e3c25c11552cc9",
        "8fcfea50e640aba924cbcf17709aa415c519f55c6cda88a2c672a4da23fd04d4",
    ),
    "rtp_lx/completions_v1/acs_results_benign_DA.json.gz": (
        "0b0b3799f0f04b4d37a3974e8336564a07bf027107e03ecba1772f01d3909428",
        "4d7d3db6dc4b38ad3873201171b1a81dada223efe8d1c328db8ec81e994268ef",
    ),
    "rtp_lx/completions_v1/acs_results_benign_DE.json.gz": (
        "20f378ef9afd5c239ed5b4a21dbde45b69e8b5d589cf042323ee7f3f56969e03",
        "a73657d57300913c4afad8fdf2d28739ff93851e1a27752260e605863fba3302",
    ),
    "rtp_lx/completions_v1/acs_results_benign_EN.json.gz": (
        "fa6360b6b50217932719d1b9e55143c0492c36ba06a2b597d6c6e716d4c768b6",
        "7d9d74073a8d6bdf2d987918c8c5e5ac350322650dc96448b0072f7bd2986bb2",
    ),
    "rtp_lx/completions_v1/acs_results_benign_ES.json.gz": (
        "b074e5df0a1d4fe23b36818db92c0e6dc383216501640b52a8493792e5ebcc09",
        "ea64feb4df2bc1b5d9595b3d3c668861864c145b0dede589800283247c02a8ad",
    ),
    "rtp_lx/completions_v1/acs_results_benign_FI.json.gz": (
        "69d7ef4634c19f979bcf2e2a44594752b305b46b801fd49ca0edec2959421e0f",
        "c8512532c1b88a57b1e979eacf356b6c52910b2e6cb2cb218a020d981b528277",
    ),
    "rtp_lx/completions_v1/acs_results_benign_FR.json.gz": (
        "bbe71b79f6c7918c9c36c0955e786e29c94e42e1a038f1459d5c7bf14e753663",
        "6a4a6c4610f99aded77adbbd2d60b7006ef3571bd35f5a7cf36f2cdce6e86cc8",
    ),
    "rtp_lx/completions_v1/acs_results_benign_HE.json.gz": (
        "853804b4d8967b34c7e66787b67c5f5c7308ff58409610503f2bf87fca594be3",
        "82c10869a0ea84c359899580b38a3515be97926d1c5e75882641b99cb84e5999",
    ),
    "rtp_lx/completions_v1/acs_results_benign_HI.json.gz": (
        "f0afe3c8ba96e1fadfed794e52eaf18d5f855dfed1e9deb8f47a78942758f293",
        "144ac71b6d82d3a26db82777eb92717f7763f6d36bd4342c68f78fda6e3ef9a2",
    ),
    "rtp_lx/completions_v1/acs_results_benign_HU.json.gz": (
        "3c8f2c950c043d63a20068852c7fbd68541c811f861c1612e7aba045cae9a65d",
        "8f90d2c0fffe4441e6ca326ea2162f20d7873500d2d50e42aafd3cbf0f237c84",
    ),
    "rtp_lx/completions_v1/acs_results_benign_ID.json.gz": (
        "be93d23d99e52a5f2a009f738aef1b9d33882a28e6a0d6688cf09a48d856d585",
        "e502aa1a4f7a963c59bcbb10454433da955af07aa5e430d97a758e8529c5cece",
    ),
    "rtp_lx/completions_v1/acs_results_benign_IT.json.gz": (
        "2062150bb8e504ad8e50cc92706ab2f76c87415e08c42078ee554f5cdfc2ba80",
        "8fa4f8ab24f3425e61cadc3ffbb4cb91d86428ec3b8bae58da65e6760c215aba",
    ),
    "rtp_lx/completions_v1/acs_results_benign_JA.json.gz": (
        "f00bced6b0b815f7a304afafb7ec7d1cbeaa93fbbffa43f3a39543de472f4ddb",
        "3f80e146ba27c19d08249244ccf8ed378451df2e9d5ed99b60d8df58b636b8b4",
    ),
    "rtp_lx/completions_v1/acs_results_benign_KO.json.gz": (
        "dfd442cc7874024b18664869b1e070e52978290db918c2df114e5db43b253987",
        "f460aec995469b0f2e3fe1b68ecc5c7b49291fb57b74cdc468e43959bd98e912",
    ),
    "rtp_lx/completions_v1/acs_results_benign_NL.json.gz": (
        "0688ba8e8786eb2be54bbb92bd40ebff2138b6636dc0af0fa1f77c5f2455599c",
        "0dba06421a52f79348560328a16ee2a3045e24ec07fb3cfef13fc1235f98edb9",
    ),
    "rtp_lx/completions_v1/acs_results_benign_NO-NB.json.gz": (
        "020d21e98d72879286f73543a364dd34b766c89b8d8f2b7d521528c540eea55c",
        "51f821b2998dc5318040c4f12109f58050b40ee9ad1e36ce1c991ccb7f20c8c0",
    ),
    "rtp_lx/completions_v1/acs_results_benign_PL.json.gz": (
        "e72a2a15a027917c6aa05696fb6ea2147b3da150babe9a02e66c77aca2148057",
        "28f12bb3163d80878f994d2356889a5851dc513bdfa2c30a2d2288c98af43f85",
    ),
    "rtp_lx/completions_v1/acs_results_benign_PT.json.gz": (
        "540d98d6db0a13f7bd491d050c0e0c7d91b5429490479af21bbf2c5317f9ae96",
        "0b6c486592f5246ca22de8560dced1cf37083849b6caa5bdb91e019c90e62fd5",
    ),
    "rtp_lx/completions_v1/acs_results_benign_SV.json.gz": (
        "e3fbbe294249e057cdc2119a35b3dbc67e415b5a464a8d92d70395e62c0024e7",
        "7c0cc539a9d7fd2464108505e1db291bca57734ba75e8199f0725303a13bdd33",
    ),
    "rtp_lx/completions_v1/acs_results_benign_SW.json.gz": (
        "9d9d6eb55e37b50c8443f743b4beaec11fedc9f9ea15f53b111896cfedcebad7",
        "e82073b2e3b3320b20032635dce54d79ac8835a71bc4edd0796c62dabac2b0f5",
    ),
    "rtp_lx/completions_v1/acs_results_benign_TR.json.gz": (
        "60affd5e8f574a872443fce4b2a77f15c12e168c817255faa41600f52822423c",
        "d52bcd95caa80ef5a3d86d26c04acd2a86614080c9a16743a1b032c71afdeef3",
    ),
    "rtp_lx/completions_v1/acs_results_benign_UK.json.gz": (
        "7970f161752287f54782d70807765f3831c6ce608ac2a2b156f1379fd779f8be",
        "dc02e63c1967a2c49358500740f8686dc2143094e666d365b2f6abbcbe25c020",
    ),
    "rtp_lx/completions_v1/acs_results_benign_ZH-Hans.json.gz": (
        "c0fbca2f091de1fb6a0de700a2f06db9a50baef4ff46a9b9d42ae8c37082a58e",
        "13fa4b7608890e17d382a0212df6b8912dbe37003fa44c11fc92e36e37e8d976",
    ),
    "rtp_lx/completions_v1/acs_results_benign_ZH-Hant.json.gz": (
        "c350c36293c3d0b0fa7d3783a861e657bb732a591448654c3e68fd2456a723e7",
        "190c784e7695eefa08f35c68172cb795fb482d329f1fd35f0f0fc1f05da791e3",
    ),
    "rtp_lx/prompts_v0.3/RTP_LX_AR.json.gz": (
        "b658e9eed38e59a69ef2b06db701de44d92e8cafb945a72c3320bb12a160f44b",
        "88b33740065987453c0c7d9aa219e32526dac3e7d94a8c972a71e01bb410f622",
    ),
    "rtp_lx/prompts_v0.3/RTP_LX_BCMS.json.gz": (
        "8e655493fb0d944a987635e92af6655d14af5ddb8b96594eaa2034ac6773c70e",
        "30f68ed900e7ef135fb40a07bcc49c6b8a4c97189592317c58a5411418e34ad5",
    ),
    "rtp_lx/prompts_v0.3/RTP_LX_CS.json.gz": (
        "d2fb6c99798ebea3f0e0708fe2ecfee60d1e958ad3836cf95cf77adb9b87f59c",
        "5a7adc950701c3ce6bcef225fb83818244bd8b45e0866600696fce7d96d01ea0",
    ),
    "rtp_lx/prompts_v0.3/RTP_LX_DA.json.gz": (
        "368e6f0c4c37b747e77170b34701b4b20d596bb74cdea4ad07df74bf812d3dc9",
        "521d4ce1a1896fe73b7b474802a5fe2d4a99b096ff48257515102130b8471dbf",
    ),
    "rtp_lx/prompts_v0.3/RTP_LX_DE.json.gz": (
        "4cef024dcf8eaa3303d757e20d3bcc49f8c57dba9a304eb3810048d2e1111a04",
        "7bfc2084866014c7c672bcb2a9957ee8aa596ef3a3debd21f114d48f03248990",
    ),
    "rtp_lx/prompts_v0.3/RTP_LX_EN.json.gz": (
        "3c32d7d8a228ad2ef07507c2ef86e6b319f5ff265fcc150fa4bbc0bffdd5d02c",
        "f2dac62775f622aa54c75261ff74aa24b9c49578edb61a6e53431363c7f8e67d",
    ),
    "rtp_lx/prompts_v0.3/RTP_LX_ES.json.gz": (
        "ed18feec0e9b6177969af1f32f9c445a935698750604826d2fb163c34ee13650",
        "5fc5df7c9b69c0927572d08d1014b2ad394f9ecf53edea6e8c43205c4708cbf2",
    ),
    "rtp_lx/prompts_v0.3/RTP_LX_FI.json.gz": (
        "555ac7b78b0f9229aa743dc035af6301f2a2dbb901f2976a3a7bd7c7d3c3dfb1",
        "ea336a4333ceea5fa78ee68287deece80ea2755ded80c36516b1dc0bf0aca8dd",
    ),
    "rtp_lx/prompts_v0.3/RTP_LX_FR.json.gz": (
        "5ea2cb91f7c9a063c5b49b071b88c520513779a65d72573af8d5c3db2df3a4b9",
        "dcaab5834bafcb4c9fa78339587399601d7cf710b6024337f8c7aed051eaefaa",
    ),
    "rtp_lx/prompts_v0.3/RTP_LX_HE.json.gz": (
        "061d875de079d38ac243c85cc1b822687dc2a9240b1834d32ddc03be492623cf",
        "e0e0efc3f0f6b7b0e5c08f206933f4fe89aa7330c37eab984160c1ed0daf7468",
    ),
    "rtp_lx/prompts_v0.3/RTP_LX_HI.json.gz": (
        "259abb0820732bfb77149223ccf637476244c7fc0a86233d6176c4a6ecc4e679",
        "ae738f2818c0f6020ff4bd2e15f5ac804f4f87b2b76dade1b9a03f954c15ebc9",
    ),
    "rtp_lx/prompts_v0.3/RTP_LX_HU.json.gz": (
        "5d9c267b6ef5a5438cda89cb251f07490b00d2ea63062fd2475bf27bc647b5e9",
        "6277483a50de22427b3c262294dfe9d91a77c0d30e1284b947023ce29f42df6f",
    ),
    "rtp_lx/prompts_v0.3/RTP_LX_ID.json.gz": (
        "7c9d356b06b93167b850370807e3d4272629b089f4edcc552e81da72349ceb23",
        "ca90540cd2be0f19e337cf77afbe8772bf264e660445d422fea0aff7705cc2dd",
    ),
    "rtp_lx/prompts_v0.3/RTP_LX_IT.json.gz": (
        "0d4d9f38dfe7ee198c2033f877e87bd192bcd0d96367b975a7b9f1566d728bc7",
        "a7dee5db6f6056d0ee2d5c1ad04cd7bec81ab02dbd1e92dc9806bf0bcdb4ad03",
    ),
    "rtp_lx/prompts_v0.3/RTP_LX_JA.json.gz": (
        "ccbebaa5f7bf5754142a0dac2d451cdc3e9e1e8171fc7938dcded92cbb21c7d8",
        "2cc3fa203d7227373a8fa15ddc0d4fe13ea8058b78cfc67397a86928557b10f2",
    ),
    "rtp_lx/prompts_v0.3/RTP_LX_KO.json.gz": (
        "1b1bbe5a3b9e1be1cada9100a8a91b301614f32fbf9ed2edc89623f7c34e1410",
        "a4c204251eeaea1f8f4f8f0f9ba2c00fbf688765234c68d90c799f7b006579a4",
    ),
    "rtp_lx/prompts_v0.3/RTP_LX_NL.json.gz": (
        "e46dde3fd6f5ad5559f6b9cb14ad82479841c2d3abeb3ad9c0be0b3566986e3f",
        "892c4ce5723f1b3c2b8e79f7014b90823138e03a96cef96f46ffb3723d8277ea",
    ),
    "rtp_lx/prompts_v0.3/RTP_LX_NO-NB.json.gz": (
        "8894d694efe202bf71a77ce96eb6c0591adaef2cd13c03130c843f1932b6ebf8",
        "d79ab948b8b6b81b1d4bcde3ecf54bb83138c16bd07cd594479cd1d4f5d21015",
    ),
    "rtp_lx/prompts_v0.3/RTP_LX_PL.json.gz": (
        "5ce0e5ab5cf12473c2cd990cda1a6ca2ac518c8872b39ae0d9f14c3edc560985",
        "97491edd39b43295b241621cec889fc0532bfe29ce6875aa1761276ae82ac0a2",
    ),
    "rtp_lx/prompts_v0.3/RTP_LX_PT.json.gz": (
        "fb46871eec4a07d02f5625be8c48a1472a1f51e19dcf27d1ccba01fb1b35a267",
        "bd723d6a95f8f1bac9a3dd4c4e9e5b94dbc15fb2c563cca8d3127dad142af824",
    ),
    "rtp_lx/prompts_v0.3/RTP_LX_RU.json.gz": (
        "d08d4c0ca67cc50a71888247638f94f830c7530fb28fa62e4bdcfea624d37dad",
        "3fa092e3bcb3aa65887874607d7fddfdfa1ab1151e227584cc42f18b0c39732d",
    ),
    "rtp_lx/prompts_v0.3/RTP_LX_SV.json.gz": (
        "0dd7dcf5ad648e9a14bb428117cdb4e0907ab6c029ed399f19fe39b5a61d68c7",
        "fb76ae38b8d12d62a13fa8e5636ed54f6006a1ab236ac79782320079ab0935f6",
    ),
    "rtp_lx/prompts_v0.3/RTP_LX_SW.json.gz": (
        "afb82bc7373715f672c979d6de5e0f5e01aa323f0b15f1e0a8cb3f8aadf890a8",
        "5c35e0243de2a815061c461592cab65c3b9b5ba17d5c8629aa6405ebc87f2a17",
    ),
    "rtp_lx/prompts_v0.3/RTP_LX_TH.json.gz": (
        "84b351758766337ec8cafd62735d32220aed2ab422ced27d07c00c2017bc7ea5",
        "e1dd32f474ac70aa586eebd369dcafc4f69f232804636813353c23ffefe39d87",
    ),
    "rtp_lx/prompts_v0.3/RTP_LX_TR.json.gz": (
        "0c1ea5b82a404bd1daa750b3b44f0c249c83b7cfa13be166d427a2110946877d",
        "c0abc2a0838fbca7858684d256c54a1ed8ab4acda962cb2203ce76d8dc2dec36",
    ),
    "rtp_lx/prompts_v0.3/RTP_LX_UK.json.gz": (
        "4fb66afcc0d8ea4fcc01ba22bec978137100e920ff81828226ffa9acba9ae7a3",
        "a3361997322b7311f1125541020bdf2b05fbef48ec4dcbe83ede37e7484d2358",
    ),
    "rtp_lx/prompts_v0.3/RTP_LX_ZH-Hans.json.gz": (
        "3cb528031835800058348647ace8c4cd815a925c63040979cb2a185ebbc63217",
        "4f4836bdd0f470a3984987b07da72143d1664093635ddf6f033815c44b63f67b",
    ),
    "rtp_lx/prompts_v0.3/RTP_LX_ZH-Hant.json.gz": (
        "4247a69582d2f8d7bae59f23eb350e6a28a45556bb1cc11113dc6934f6b51961",
        "bffa5805dc3c7ad768503ca3ae5ddb0c0e2c90c3e4eea853b8039c9c4b697669",
    ),
    "rtp_lx/rtp-lx_metadata.json": (
        "89f296e3759b8cc7e01a58ce41cb8dd37337c0c59b3541567d67deeeda474b2d",
        None,
    ),
    "safe_responsible_llm/counterfactual-inhouse.csv": (
        "3c62e0f025d770f90e9997136a48d8d290f4a71fecf76b761b9fe67015fac058",
        None,
    ),
    "safe_responsible_llm/infer_50.csv": (
        "ea355e9314b58e0dbf175e63ecfe84a6bd42a6ffb8fb0c57018cc1f6a738f558",
        None,
    ),
    "safe_responsible_llm/train_500.csv": (
        "17e6297e90ae86446ee960bd2c8f8e422f8b384fe26ef961a011b5e9a9495e78",
        None,
    ),
    "unintended_bias_templates/LICENSE": (
        "cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30",
        None,
    ),
    "unintended_bias_templates/de_sentence_templates.csv": (
        "aeeb09e2c692cf0b03c05be95d54dfee14f997178381d894071f0826fdc45674",
        None,
    ),
    "unintended_bias_templates/en_sentence_templates.csv": (
        "8ed7d07f61000a95a2e18747b8f1fbf43d75257cd342cddef1f3533254374633",
        None,
    ),
    "wiki_toxicity_testset/LICENSE": (
        "cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30",
        None,
    ),
    "wiki_toxicity_testset/toxicity_fuzzed_testset.csv": (
        "382f8698edc67dc0ebd521406d9b4fb27b0192a0d09559503bd965609382685c",
        None,
    ),
    "wiki_toxicity_testset/toxicity_nonfuzzed_testset.csv": (
        "c11caefa0c487cb7a7fc0726cb53358d4e5463bd071d65979398af59fa80f881",
        None,
    ),
    "winobias/LICENSE": (
        "fdc813af7e33d0d7852c742a8a3983934d3c1c770014062246883c194c363830",
        None,
    ),
    "winobias/anti_stereotyped_type1.txt.dev": (
        "a4e0ebae344e78b56f657a42e8ae684b9db7747d177c5e7149c0907ebb7f3bf6",
        None,
    ),
    "winobias/anti_stereotyped_type1.txt.test": (
        "331db5bd74bfefebf146a60b67645152a4a1991570d2a56f57154103ac361dd2",
        None,
    ),
    "winobias/anti_stereotyped_type2.txt.dev": (
        "763ad829ad724f9a85ead689ba8ca69072020cb1238def6210f0fc6a47b97e59",
        None,
    ),
    "winobias/anti_stereotyped_type2.txt.test": (
        "336571ac1ea8c06cd2aba8e5dd2bd98e00acc0c48da3e4ec5ec7e54eb2633a8f",
        None,
    ),
    "winobias/extra_gendered_words.txt": (
        "728554ebab711703e37dc92d9d14acde6e5bfcc28fa5b62b90b34110be7bd854",
        None,
    ),
    "winobias/female_occupations.txt": (
        "693bff12286c2c1d46c7d4d45a44a631574710c30b39c1a3001bb7bdebb44ed8",
        None,
    ),
    "winobias/generalized_swaps.txt": (
        "4d093db96d4386318ec9aafc3cebc458ead06bb02ac81770e278905fbdd4341e",
        None,
    ),
    "winobias/male_occupations.txt": (
        "6b82d88847b69d56d207a0c396e9830b031890de585e916e6b4e9bc50672657e",
        None,
    ),
    "winobias/pro_stereotyped_type1.txt.dev": (
        "dd55a0d220fe4c0ceb63dd4648223fb4fe1a58d5ad95c116a002ad24b0e292a5",
        None,
    ),
    "winobias/pro_stereotyped_type1.txt.test": (
        "db7838907238a758eeb5779e48f38c013b892910d6fe864456c59f04245c6689",
        None,
    ),
    "winobias/pro_stereotyped_type2.txt.dev": (
        "8f0250de723cea9328e3eaf7169e07936f01aa5909ce7aa580db66eb803f4e86",
        None,
    ),
    "winobias/pro_stereotyped_type2.txt.test": (
        "ea1c1fd94fa612e3cc44d7fa3cc4cb76021bb63fdf94f9826f430051e9052438",
        None,
    ),
}
