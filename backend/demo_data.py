"""Static data for the bilingual demo company (names, staff, templates)."""

from __future__ import annotations

DEMO_PASSWORD = "homeloop-demo"  # noqa: S105 - published demo credentials
DEMO_HOMEOWNER_PHONE = "+8613800000001"

REGIONS = [("sh", "上海", "Shanghai"), ("hz", "杭州", "Hangzhou")]
TEAMS = [("sh", "浦东服务一组", "Pudong Service Team 1"), ("hz", "西湖服务组", "West Lake Team")]

# (key, email, name, role, region, is_team_lead, skills, language)
STAFF = [
    ("admin", "admin@demo.homeloop.cn", "陈静", "admin", None, False, "", "zh_CN"),
    ("manager", "manager@demo.homeloop.cn", "刘洋", "manager", None, False, "", "zh_CN"),
    ("agent", "agent@demo.homeloop.cn", "张敏", "service_agent", "sh", False, "", "zh_CN"),
    ("agent_hz", "agent.hz@demo.homeloop.cn", "黄婷", "service_agent", "hz", False, "", "zh_CN"),
    ("dispatcher", "dispatch@demo.homeloop.cn", "王磊", "dispatcher", "sh", False, "", "zh_CN"),
    ("pm", "pm@demo.homeloop.cn", "赵强", "project_manager", "sh", True, "", "zh_CN"),
    ("designer", "designer@demo.homeloop.cn", "Sophie Lin", "designer", "sh", False, "", "en"),
    ("technician", "tech@demo.homeloop.cn", "李伟", "technician", "sh", True,
     "install,repair,cabinets", "zh_CN"),
    ("technician2", "tech2@demo.homeloop.cn", "周军", "technician", "hz", False,
     "install,measure,doors", "zh_CN"),
    ("technician3", "tech3@demo.homeloop.cn", "Daniel Wu", "technician", "sh", False,
     "repair,electrical", "en"),
]

PRODUCT_LINES = [
    ("cabinets", "整体橱柜", "Kitchen cabinets", 60),
    ("wardrobes", "定制衣柜", "Fitted wardrobes", 60),
    ("doors", "室内木门", "Interior doors", 24),
    ("flooring", "实木地板", "Wood flooring", 24),
    ("renovation", "全屋装修", "Full renovation", 24),
]

# (code, zh, en, default_days, requires_signoff)
STAGES = [
    ("measure", "上门测量", "Measure", 3, False),
    ("design", "方案设计", "Design", 14, True),
    ("contract", "签订合同", "Contract", 3, False),
    ("production", "工厂生产", "Production", 25, False),
    ("delivery", "配送到家", "Delivery", 3, False),
    ("install", "上门安装", "Installation", 5, False),
    ("acceptance", "竣工验收", "Acceptance", 3, True),
    ("warranty", "质保服务", "Warranty", 730, False),
]

CHECKLISTS = {
    "measure": [
        ("walls", "测量墙面尺寸并拍照", "Measure and photograph walls", True, True),
        ("utilities", "确认水电点位", "Confirm water and power points", True, False),
        ("notes", "记录客户需求", "Record the customer's wishes", False, False),
    ],
    "install": [
        ("protect", "铺设地面保护", "Lay floor protection", True, False),
        ("level", "柜体调平并拍照", "Level the cabinets and take a photo", True, True),
        ("doors", "调整门板缝隙", "Adjust door gaps", True, False),
        ("clean", "清理现场并拍照", "Clean the site and take a photo", True, True),
        ("explain", "向客户讲解使用与保养", "Explain use and care to the customer", False, False),
    ],
    "repair": [
        ("diagnose", "确认故障原因", "Diagnose the cause", True, False),
        ("fix", "维修完成并拍照", "Repair done, photo taken", True, True),
        ("test", "与客户一起测试", "Test together with the customer", True, False),
    ],
    "inspection": [
        ("check", "检查全部柜体与五金", "Check all cabinets and hardware", True, True),
        ("advice", "给出保养建议", "Give care advice", False, False),
    ],
    "delivery": [
        ("count", "核对件数", "Count the packages", True, False),
        ("damage", "检查运输损伤并拍照", "Check for transport damage, take photos", True, True),
    ],
}

CUSTOMER_NAMES = [
    "王芳", "李娜", "张伟", "刘洋", "陈静", "杨帆", "赵磊", "黄丽", "周杰", "吴敏",
    "徐强", "孙悦", "马超", "朱琳", "胡军", "郭涛", "何雪", "高峰", "林晓", "罗敏",
    "郑凯", "梁爽", "谢婷", "宋佳", "唐亮", "许诺", "韩梅", "冯博", "邓超", "曹颖",
    "Emma Thompson", "James Miller", "Olivia Brown", "Liam Wilson", "Sophia Davis",
    "Noah Garcia", "Ava Martinez", "Lucas Anderson", "Mia Taylor", "Ethan Moore",
    "彭丽娟", "蒋文", "蔡明", "贾静", "丁一", "魏巍", "薛冰", "叶子", "阎鹏", "余欢",
]

CITIES = {
    "sh": [("上海", "浦东新区", "锦绣路{n}弄{m}号{r}室"),
           ("上海", "徐汇区", "漕溪北路{n}号{m}栋{r}室"),
           ("上海", "闵行区", "虹梅路{n}弄{m}号{r}室")],
    "hz": [("杭州", "西湖区", "文三路{n}号{m}幢{r}室"),
           ("杭州", "滨江区", "江南大道{n}号{m}幢{r}室")],
}

DELAY_REASONS = [
    "板材到货延迟，工厂已加急生产。",
    "Stone countertop supplier delayed the slab; new slot confirmed.",
    "业主调整了设计方案，需要重新出图。",
    "小区装修管理规定周末禁止施工。",
]

TICKET_SUBJECTS = [
    ("door_drawer", "橱柜门关不严", "Cabinet door does not close properly"),
    ("leak", "水槽下方渗水", "Water leaking under the sink"),
    ("crack", "台面出现裂纹", "Crack in the countertop"),
    ("hardware", "抽屉滑轨异响", "Drawer runner squeaks"),
    ("electrical", "衣柜灯带不亮", "Wardrobe LED strip does not light"),
    ("installation", "踢脚线脱落", "Skirting board came loose"),
    ("question", "地板保养方法咨询", "How should I care for the floor?"),
    ("complaint", "安装师傅迟到两小时", "The installer arrived two hours late"),
]

CAPTIONS = [
    ("柜体安装完成", "Cabinets installed"), ("水电点位确认", "Water and power points checked"),
    ("台面就位", "Countertop in place"), ("门板调试", "Doors adjusted"),
    ("现场清洁完毕", "Site cleaned"), ("地面保护已铺设", "Floor protection laid"),
]
