import QtQuick
import QtQuick.Controls
import QtQuick.Controls.Material
import QtQuick.Layouts
import Atelier

// The studio window: Generate, Gallery and Settings tabs, with errors shown as a banner
// that never blocks the work.
ApplicationWindow {
    id: window
    required property StudioController controller

    width: 1360
    height: 860
    visible: true
    title: qsTr("Atelier")
    Material.theme: controller.settings.theme === "light" ? Material.Light : Material.Dark
    Material.accent: Material.DeepPurple

    function applyParameters(params) { generateView.applyParameters(params); tabs.currentIndex = 0 }
    function generate() { generateView.generate() }
    function showInGallery(row) { tabs.currentIndex = 1; galleryView.select(row) }

    // A model downloaded from the welcome page, picked with a sample prompt once the rescan lists it.
    property string downloadedModel: ""
    readonly property string samplePrompt: qsTr("a cozy cabin in a snowy pine forest at dusk, warm light in the windows, highly detailed")

    header: ToolBar {
        RowLayout {
            anchors.fill: parent
            anchors.leftMargin: 12
            Label { text: "Atelier"; font.bold: true; font.pixelSize: 18 }
            TabBar {
                id: tabs
                Layout.leftMargin: 16
                TabButton { text: qsTr("Generate"); width: implicitWidth }
                TabButton { text: qsTr("Gallery"); width: implicitWidth }
                TabButton { text: qsTr("Settings"); width: implicitWidth }
            }
            Item { Layout.fillWidth: true }
            Label {
                text: window.controller.status
                elide: Text.ElideMiddle
                Layout.maximumWidth: 520
                Layout.rightMargin: 12
                opacity: 0.7
            }
        }
    }

    StackLayout {
        anchors.fill: parent
        currentIndex: tabs.currentIndex

        StackLayout {
            currentIndex: window.controller.models.supportedCount > 0 ? 0 : 1
            GenerateView { id: generateView; objectName: "generateView"; controller: window.controller }
            WelcomePage { controller: window.controller }
        }
        GalleryView {
            id: galleryView
            controller: window.controller
            onRecall: params => window.applyParameters(params)
            onRerun: params => { generateView.applyParameters(params); generateView.generate() }
            onSendToImg2img: path => { generateView.setInitImage(path); tabs.currentIndex = 0 }
        }
        SettingsView { controller: window.controller }
    }

    ErrorBanner {
        id: errors
        anchors { left: parent.left; right: parent.right; bottom: parent.bottom; margins: 16 }
    }

    Connections {
        target: window.controller
        function onErrorOccurred(message) { errors.show(message) }
    }
    Connections {
        target: window.controller.downloads
        function onModelDownloaded(path) { window.downloadedModel = path }
    }
    Connections {
        target: window.controller.models
        function onScanFinished() {
            if (window.downloadedModel === "" || window.controller.models.indexOfPath(window.downloadedModel) < 0) return
            window.applyParameters({ prompt: window.samplePrompt, model: window.downloadedModel })
            window.downloadedModel = ""
        }
    }
}
